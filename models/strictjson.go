package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// DecodeStrictJSON decodes data, which must hold exactly one JSON value,
// into v. Unknown fields and anything after the value other than white
// space are errors, so typos and files joined by mistake do not pass.
func DecodeStrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON value at byte %d", dec.InputOffset())
	}
	return nil
}
