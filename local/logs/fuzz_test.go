package logs

import "testing"

// FuzzSegment: any segment bytes are read as records, skipped or cut, never a panic, and the
// reader always moves forward.
func FuzzSegment(f *testing.F) {
	var seg []byte
	for i := range 3 {
		seg = appendRecord(seg, "stream", int64(i), int64(i), "message")
	}
	f.Add(seg)
	damaged := append([]byte{}, seg...)
	damaged[len(seg)/2] ^= 0xff
	f.Add(damaged)
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		off := 0
		for off+recordHeader <= len(data) {
			_, _, _, _, n, ok := decodeRecord(data, off)
			if !ok {
				next := nextRecord(data, off+1)
				if next <= off {
					t.Fatalf("nextRecord went back from %d to %d", off, next)
				}
				off = next
				continue
			}
			off += recordHeader + n
		}
	})
}
