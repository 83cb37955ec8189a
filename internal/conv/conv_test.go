package conv

import (
	"strconv"
	"testing"
)

func TestSliceKeepsNilApartFromEmpty(t *testing.T) {
	if got := Slice([]int(nil), strconv.Itoa); got != nil {
		t.Errorf("Slice(nil) = %#v, want nil", got)
	}
	if got := Slice([]int{}, strconv.Itoa); got == nil || len(got) != 0 {
		t.Errorf("Slice(empty) = %#v, want empty, not nil", got)
	}
	if got := Slice([]int{1, 22}, strconv.Itoa); len(got) != 2 || got[0] != "1" || got[1] != "22" {
		t.Errorf("Slice([1 22]) = %#v", got)
	}
}

func TestPtr(t *testing.T) {
	if got := Ptr((*int)(nil), strconv.Itoa); got != nil {
		t.Errorf("Ptr(nil) = %v, want nil", *got)
	}
	n := 7
	if got := Ptr(&n, strconv.Itoa); got == nil || *got != "7" {
		t.Errorf("Ptr(&7) = %v", got)
	}
}
