package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"sync"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Compiled chunks are cached under Home()/cache/lua, keyed by the SHA-256 of the source, its
// chunk name and the gopher-lua version: parsing and compiling the deploy library alone takes
// longer than the rest of a recipe's start (gopher-lua's parser is slow), and a command runs
// the same recipes again and again. A missing, stale or damaged entry is compiled again and
// rewritten (atomically, so a killed run leaves no half-written entry).
//
// gopher-lua has no bytecode dump, so the encoding is ours. Its FunctionProto keeps one
// unexported field, the string constants, which is derived from Constants; it is set through
// its reflected offset, checked once: when a gopher-lua upgrade changes it, the cache is off
// and every chunk is compiled, as without it.

const bytecodeMagic = "agentcore-luac-1\n"

// stringConstantsOffset is the offset of FunctionProto.stringConstants, or -1 when it is not
// a []string field (the cache is then off).
var stringConstantsOffset = sync.OnceValue(func() int {
	f, ok := reflect.TypeFor[lua.FunctionProto]().FieldByName("stringConstants")
	if !ok || f.Type != reflect.TypeFor[[]string]() {
		return -1
	}
	return int(f.Offset)
})

// luaVersion is the gopher-lua module version the binary is built with, part of the cache key.
var luaVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/yuin/gopher-lua" {
				return m.Version + m.Sum
			}
		}
	}
	return "unknown"
})

// bytecodeDir is where compiled chunks are kept; "" turns the cache off (tests may).
var bytecodeDir = func() string { return filepath.Join(Home(), "cache", "lua") }

// loadChunk compiles code as the chunk name into a function of L, through the cache.
func loadChunk(L *lua.LState, code []byte, name string) (*lua.LFunction, error) {
	proto, err := compileCached(code, name)
	if err != nil {
		return nil, err
	}
	return L.NewFunctionFromProto(proto), nil
}

func compileCached(code []byte, name string) (*lua.FunctionProto, error) {
	dir := bytecodeDir()
	if dir == "" || stringConstantsOffset() < 0 {
		return compileChunk(code, name)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s%s\x00%s\x00", bytecodeMagic, luaVersion(), name)
	h.Write(code)
	path := filepath.Join(dir, hex.EncodeToString(h.Sum(nil))[:40]+".luac")
	if b, err := os.ReadFile(path); err == nil {
		if p, err := decodeProto(b); err == nil {
			return p, nil
		}
	}
	p, err := compileChunk(code, name)
	if err != nil {
		return nil, err
	}
	writeCache(dir, path, encodeProto(p))
	return p, nil
}

// compileChunk is what LState.Load does, with a syntax error as its *lua.ApiError.
func compileChunk(code []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(code), name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()), Cause: err}
	}
	p, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()), Cause: err}
	}
	return p, nil
}

func writeCache(dir, path string, b []byte) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}

// The encoding: the magic, then each proto depth first as unsigned varints and
// length-prefixed strings; constants are tagged n (number, 8 bytes) or s (string).

func encodeProto(p *lua.FunctionProto) []byte {
	e := &protoEncoder{buf: []byte(bytecodeMagic)}
	e.proto(p)
	return e.buf
}

type protoEncoder struct{ buf []byte }

func (e *protoEncoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *protoEncoder) int(v int)     { e.buf = binary.AppendVarint(e.buf, int64(v)) }
func (e *protoEncoder) str(s string)  { e.uint(uint64(len(s))); e.buf = append(e.buf, s...) }

func (e *protoEncoder) proto(p *lua.FunctionProto) {
	e.str(p.SourceName)
	e.int(p.LineDefined)
	e.int(p.LastLineDefined)
	e.buf = append(e.buf, p.NumUpvalues, p.NumParameters, p.IsVarArg, p.NumUsedRegisters)
	e.uint(uint64(len(p.Code)))
	for _, c := range p.Code {
		e.uint(uint64(c))
	}
	e.uint(uint64(len(p.Constants)))
	for _, c := range p.Constants {
		switch v := c.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, 'n')
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(float64(v)))
		case lua.LString:
			e.buf = append(e.buf, 's')
			e.str(string(v))
		default:
			// not produced by gopher-lua's compiler; encoded so that decoding refuses it
			e.buf = append(e.buf, '?')
		}
	}
	e.uint(uint64(len(p.FunctionPrototypes)))
	for _, c := range p.FunctionPrototypes {
		e.proto(c)
	}
	e.uint(uint64(len(p.DbgSourcePositions)))
	for _, v := range p.DbgSourcePositions {
		e.int(v)
	}
	e.uint(uint64(len(p.DbgLocals)))
	for _, l := range p.DbgLocals {
		e.str(l.Name)
		e.int(l.StartPc)
		e.int(l.EndPc)
	}
	e.uint(uint64(len(p.DbgCalls)))
	for _, c := range p.DbgCalls {
		e.str(c.Name)
		e.int(c.Pc)
	}
	e.uint(uint64(len(p.DbgUpvalues)))
	for _, u := range p.DbgUpvalues {
		e.str(u)
	}
}

var errBadBytecode = errors.New("damaged compiled chunk")

type protoDecoder struct {
	b   []byte
	err error
}

func decodeProto(b []byte) (p *lua.FunctionProto, err error) {
	if stringConstantsOffset() < 0 || !bytes.HasPrefix(b, []byte(bytecodeMagic)) {
		return nil, errBadBytecode
	}
	d := &protoDecoder{b: b[len(bytecodeMagic):]}
	p = d.proto(0)
	if d.err != nil || len(d.b) != 0 {
		return nil, errBadBytecode
	}
	return p, nil
}

func (d *protoDecoder) fail() { d.err = errBadBytecode; d.b = nil }

func (d *protoDecoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *protoDecoder) int() int {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// count reads a length, refusing one longer than what is left (each item takes a byte at least).
func (d *protoDecoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *protoDecoder) str() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *protoDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *protoDecoder) proto(depth int) *lua.FunctionProto {
	if depth > 200 {
		d.fail()
		return nil
	}
	p := &lua.FunctionProto{SourceName: d.str(), LineDefined: d.int(), LastLineDefined: d.int()}
	p.NumUpvalues, p.NumParameters, p.IsVarArg, p.NumUsedRegisters = d.byte(), d.byte(), d.byte(), d.byte()
	p.Code = make([]uint32, d.count())
	for i := range p.Code {
		p.Code[i] = uint32(d.uint())
	}
	p.Constants = make([]lua.LValue, d.count())
	strs := make([]string, len(p.Constants))
	for i := range p.Constants {
		switch d.byte() {
		case 'n':
			if len(d.b) < 8 {
				d.fail()
				return nil
			}
			p.Constants[i] = lua.LNumber(math.Float64frombits(binary.LittleEndian.Uint64(d.b)))
			d.b = d.b[8:]
		case 's':
			s := d.str()
			p.Constants[i], strs[i] = lua.LString(s), s
		default:
			d.fail()
			return nil
		}
	}
	*(*[]string)(unsafe.Add(unsafe.Pointer(p), stringConstantsOffset())) = strs
	p.FunctionPrototypes = make([]*lua.FunctionProto, d.count())
	for i := range p.FunctionPrototypes {
		p.FunctionPrototypes[i] = d.proto(depth + 1)
	}
	p.DbgSourcePositions = make([]int, d.count())
	for i := range p.DbgSourcePositions {
		p.DbgSourcePositions[i] = d.int()
	}
	p.DbgLocals = make([]*lua.DbgLocalInfo, d.count())
	for i := range p.DbgLocals {
		p.DbgLocals[i] = &lua.DbgLocalInfo{Name: d.str(), StartPc: d.int(), EndPc: d.int()}
	}
	p.DbgCalls = make([]lua.DbgCall, d.count())
	for i := range p.DbgCalls {
		p.DbgCalls[i] = lua.DbgCall{Name: d.str(), Pc: d.int()}
	}
	p.DbgUpvalues = make([]string, d.count())
	for i := range p.DbgUpvalues {
		p.DbgUpvalues[i] = d.str()
	}
	if d.err != nil {
		return nil
	}
	return p
}
