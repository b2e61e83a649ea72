package release

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wine is a Wine installation with a prefix (a fake C: drive) of the test's own, made ready for
// programs built by this Go toolchain.
type wine struct {
	bin     string // wine64
	prefix  string // WINEPREFIX
	overlay string // go build -overlay file working around Wine 8's missing file deletion call
}

// newWine finds Wine and sets up a prefix, or skips the test (fails with AGENTCORE_WINE=required).
// The prefix's wineserver is stopped when the test ends.
func newWine(t *testing.T) *wine {
	t.Helper()
	bin := ""
	for _, c := range []string{"wine64", "/usr/lib/wine/wine64", "wine"} {
		if p, err := exec.LookPath(c); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		msg := "Wine is not installed (Debian: apt-get install wine64): the Windows tests did not run"
		if os.Getenv("AGENTCORE_WINE") == "required" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	w := &wine{bin: bin, prefix: t.TempDir()}
	server := filepath.Join(filepath.Dir(bin), "wineserver")
	if _, err := os.Stat(server); err != nil {
		server = "wineserver"
	}
	t.Cleanup(func() {
		// wineserver lingers a few seconds after its last program; end it now, so that it
		// neither outlives the test nor keeps the prefix, which t.TempDir removes, busy.
		kill := exec.Command(server, "-k")
		kill.Env = w.env()
		_ = kill.Run()
	})
	start := time.Now()
	boot := exec.Command(bin, "cmd", "/c", "ver")
	boot.Env = w.env()
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("creating a Wine prefix: %v\n%s", err, out)
	}
	// The prefix's set-up (wineboot) goes on after the first program returns; programs started
	// meanwhile, several at once, fail at random ("Failed to load ws2_32.dll"): wait for it.
	settle := exec.Command(server, "-w")
	settle.Env = w.env()
	_ = settle.Run()
	t.Logf("Wine prefix made in %s", time.Since(start).Round(time.Millisecond))
	w.addProcessPrng(t)
	w.overlay = writeDeleteOverlay(t)
	return w
}

// env is this process's environment with the prefix's and extra.
func (w *wine) env(extra ...string) []string {
	return append(os.Environ(), append([]string{"WINEPREFIX=" + w.prefix, "WINEDEBUG=-all"}, extra...)...)
}

// addProcessPrng gives the prefix a bcryptprimitives.dll when Wine has none (Wine before 9):
// the Go runtime (1.24 on) loads ProcessPrng from it at start and throws without it. The DLL
// holds no code: its one export forwards to advapi32's SystemFunction036 (RtlGenRandom), which
// fills a buffer with random bytes just as ProcessPrng does (the runtime checks the low byte of
// the result, which both set to TRUE).
func (w *wine) addProcessPrng(t *testing.T) {
	t.Helper()
	system32 := filepath.Join(w.prefix, "drive_c", "windows", "system32")
	path := filepath.Join(system32, "bcryptprimitives.dll")
	if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte("ProcessPrng")) {
		return // Wine's own
	}
	dll := forwarderDLL("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036")
	if _, err := pe.NewFile(bytes.NewReader(dll)); err != nil {
		t.Fatalf("the forwarder DLL does not parse: %v", err)
	}
	if err := os.WriteFile(path, dll, 0o644); err != nil {
		t.Fatal(err)
	}
}

// forwarderDLL is a 64-bit DLL named name whose only export, export, forwards to target
// ("dll.Function"): the loader resolves it to target, so the DLL needs no code section.
// Layout: headers in the first 0x200 bytes, then one section (.edata, at RVA 0x1000) holding
// the export directory, its three one-entry tables and the strings.
func forwarderDLL(name, export, target string) []byte {
	const (
		fileAlign = 0x200
		sectAlign = 0x1000
		headers   = 0x200
		rva       = 0x1000 // of .edata
		dirSize   = 40     // IMAGE_EXPORT_DIRECTORY
	)
	le := binary.LittleEndian
	nameRVA := rva + dirSize + 4 + 4 + 2
	exportRVA := nameRVA + len(name) + 1
	targetRVA := exportRVA + len(export) + 1
	size := targetRVA + len(target) + 1 - rva

	var ed bytes.Buffer
	for _, v := range []any{
		uint32(0), uint32(0), uint32(0), // Characteristics, TimeDateStamp, versions
		uint32(nameRVA), uint32(1), // Name, Base (first ordinal)
		uint32(1), uint32(1), // NumberOfFunctions, NumberOfNames
		uint32(rva + dirSize), uint32(rva + dirSize + 4), uint32(rva + dirSize + 8), // the tables
		uint32(targetRVA), // the function: an address inside the export directory is a forwarder
		uint32(exportRVA), // its name
		uint16(0),         // its index in the function table
	} {
		_ = binary.Write(&ed, le, v)
	}
	ed.WriteString(name + "\x00" + export + "\x00" + target + "\x00")

	var h bytes.Buffer
	dos := make([]byte, 64)
	copy(dos, "MZ")
	le.PutUint32(dos[60:], 64) // e_lfanew: the PE header follows
	h.Write(dos)
	h.WriteString("PE\x00\x00")
	var dirs [16]pe.DataDirectory
	dirs[pe.IMAGE_DIRECTORY_ENTRY_EXPORT] = pe.DataDirectory{VirtualAddress: rva, Size: uint32(size)}
	var sec pe.SectionHeader32
	copy(sec.Name[:], ".edata")
	sec.VirtualSize, sec.VirtualAddress, sec.SizeOfRawData, sec.PointerToRawData = uint32(size), rva, fileAlign, headers
	sec.Characteristics = pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ
	for _, v := range []any{
		pe.FileHeader{Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1, SizeOfOptionalHeader: 240,
			Characteristics: pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_LARGE_ADDRESS_AWARE | pe.IMAGE_FILE_DLL},
		pe.OptionalHeader64{Magic: 0x20b, ImageBase: 0x180000000, SectionAlignment: sectAlign, FileAlignment: fileAlign,
			MajorOperatingSystemVersion: 6, MajorSubsystemVersion: 6, SizeOfImage: 2 * sectAlign, SizeOfHeaders: headers,
			SizeOfInitializedData: fileAlign, Subsystem: pe.IMAGE_SUBSYSTEM_WINDOWS_CUI,
			DllCharacteristics: pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE | pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT | pe.IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA,
			SizeOfStackReserve: 0x100000, SizeOfStackCommit: 0x1000, SizeOfHeapReserve: 0x100000, SizeOfHeapCommit: 0x1000,
			NumberOfRvaAndSizes: 16, DataDirectory: dirs},
		sec,
	} {
		_ = binary.Write(&h, le, v)
	}
	out := make([]byte, headers+fileAlign)
	copy(out, h.Bytes())
	copy(out[headers:], ed.Bytes())
	return out
}

// writeDeleteOverlay writes a go build -overlay file that lets Go's Windows file deletion
// (os.Remove, os.RemoveAll, t.TempDir's cleanup) fall back to the call older Windows versions
// have when Wine answers STATUS_NOT_IMPLEMENTED to FileDispositionInformationEx (Wine 8 does;
// Windows 10 1607 and later support it). Without it every removal of a directory's contents
// fails under Wine 8 with "Invalid function", and so does every test using t.TempDir. On a
// toolchain whose source differs (the fallback moved, or Wine's answer is handled), the overlay
// is empty and the build is the toolchain's own.
func writeDeleteOverlay(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src", "internal", "syscall", "windows", "at_windows.go")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "\t\treturn deleteatFallback(h)\n\tdefault:\n"
	replace := map[string]string{}
	if s := string(b); strings.Count(s, anchor) == 1 && !strings.Contains(s, "0xC0000002") {
		patched := strings.Replace(s, anchor, "\t\treturn deleteatFallback(h)\n"+
			"\tcase NTStatus(0xC0000002): // STATUS_NOT_IMPLEMENTED: Wine 8\n\t\treturn deleteatFallback(h)\n\tdefault:\n", 1)
		file := filepath.Join(t.TempDir(), "at_windows.go")
		if err := os.WriteFile(file, []byte(patched), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[src] = file
	} else {
		t.Logf("%s has no fallback to patch: building with the toolchain's own", src)
	}
	j, err := json.Marshal(map[string]map[string]string{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(path, j, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
