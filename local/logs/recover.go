package logs

import (
	"encoding/binary"
	"hash/crc32"
	"os"
)

// decodeRecord reads the record at off (see appendRecord); n is its payload length. ok is false
// when the bytes there are not a whole record whose CRC matches.
func decodeRecord(data []byte, off int) (name string, ts, ingest int64, msg string, n int, ok bool) {
	if off+recordHeader > len(data) {
		return
	}
	n = int(binary.LittleEndian.Uint32(data[off:]))
	if n < 0 || n > len(data)-off-recordHeader {
		return
	}
	payload := data[off+recordHeader : off+recordHeader+n]
	if crc32.ChecksumIEEE(payload) != binary.LittleEndian.Uint32(data[off+4:]) {
		return
	}
	l, k := binary.Uvarint(payload)
	if k <= 0 || l > uint64(len(payload)-k) {
		return
	}
	name = string(payload[k : k+int(l)])
	p := payload[k+int(l):]
	ts, k1 := binary.Varint(p)
	if k1 <= 0 {
		return
	}
	ingest, k2 := binary.Varint(p[k1:])
	if k2 <= 0 {
		return
	}
	return name, ts, ingest, string(p[k1+k2:]), n, true
}

// nextRecord finds the first offset at or after from where a valid record starts (its CRC
// matching its length's worth of payload: a false match has odds of 1 in 2^32), or
// len(data). This is how damage in the middle of a segment costs only the records it hit.
func nextRecord(data []byte, from int) int {
	for off := from; off+recordHeader <= len(data); off++ {
		if _, _, _, _, _, ok := decodeRecord(data, off); ok {
			return off
		}
	}
	return len(data)
}

// rewriteWithout replaces the segment at path with data less the byte ranges cut (in order),
// atomically, and returns its new size.
func rewriteWithout(path string, data []byte, cuts [][2]int) (int, error) {
	out := make([]byte, 0, len(data))
	at := 0
	for _, c := range cuts {
		out = append(out, data[at:c[0]]...)
		at = c[1]
	}
	out = append(out, data[at:]...)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return len(out), nil
}
