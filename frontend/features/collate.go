package features

import "unicode"

// localeCompare approximates JavaScript's String.prototype.localeCompare
// (ICU root collation) for the identifiers the install order sorts: at the
// first level punctuation sorts before digits, digits before letters and
// letters compare case-insensitively; ties are broken lower case first, then
// by code point.
func localeCompare(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if c := primary(ra[i]) - primary(rb[i]); c != 0 {
			return sign(c)
		}
	}
	if len(ra) != len(rb) {
		return sign(len(ra) - len(rb))
	}
	for i := range ra {
		la, lb := unicode.IsLower(ra[i]), unicode.IsLower(rb[i])
		if la != lb {
			if la {
				return -1
			}
			return 1
		}
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func primary(r rune) int {
	switch {
	case unicode.IsLetter(r):
		return 2<<21 | int(unicode.ToLower(r))
	case unicode.IsDigit(r):
		return 1<<21 | int(r)
	}
	return int(r)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
