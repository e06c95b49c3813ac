// Package tomlconfig holds the rules every devcache TOML file follows: a
// version that must match, strict decoding (an unknown key is an error at
// its line and column) and durations written as Go duration strings.
package tomlconfig
