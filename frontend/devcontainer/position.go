package devcontainer

import (
	"bytes"
	"fmt"
)

// Position is a 1-based line and column in a source file.
type Position struct {
	Line   int
	Column int
}

func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Range is the half-open span [Start, End) of a value in a source file.
type Range struct {
	Start Position
	End   Position
}

// position converts a byte offset in data into a Position.
func position(data []byte, off int) Position {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := 1 + off - (bytes.LastIndexByte(data[:off], '\n') + 1)
	return Position{Line: line, Column: col}
}
