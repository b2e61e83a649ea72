package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// ptyDeadline bounds how long an expect waits for its text before the script fails (a guard
// against a hang, not a speed check).
const ptyDeadline = 90 * time.Second

// cmdPTY runs a program on a pseudo-terminal and drives it with a dialog file, then checks its
// exit code: pty CODE DIALOG PROGRAM [ARGS...]. The terminal starts at 24 rows by 80 columns.
// Dialog lines:
//
//	send TEXT       types TEXT (Go escapes: \r is Enter, \x03 is Ctrl-C)
//	expect REGEXP   waits for output matching REGEXP (after what the previous expect matched)
//	resize ROWS COLS resizes the terminal (the program gets SIGWINCH)
//
// What the program wrote to the terminal is kept in $WORK/pty.out.
func cmdPTY(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: pty CODE DIALOG PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	dialog := ts.ReadFile(args[1])
	// The script's environment, as its programs get it.
	ts.Check(ts.Exec("env"))
	env := strings.Split(strings.TrimSpace(ts.ReadFile("stdout")), "\n")
	prog := args[2]
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(p) {
				if fi, err := os.Stat(filepath.Join(dir, args[2])); err == nil && !fi.IsDir() {
					prog = filepath.Join(dir, args[2])
					break
				}
			}
		}
	}
	cmd := exec.Command(prog, args[3:]...)
	cmd.Env = env
	cmd.Dir = ts.Getenv("WORK")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	ts.Check(err)
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Kill()
		<-exited
		ptmx.Close()
	}()

	var mu sync.Mutex
	var out bytes.Buffer
	grew := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			select {
			case grew <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	transcript := func() string {
		mu.Lock()
		defer mu.Unlock()
		os.WriteFile(filepath.Join(ts.Getenv("WORK"), "pty.out"), out.Bytes(), 0o644)
		return out.String()
	}
	from := 0
	sc := bufio.NewScanner(strings.NewReader(dialog))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "send":
			text, err := strconv.Unquote(`"` + strings.ReplaceAll(arg, `"`, `\"`) + `"`)
			ts.Check(err)
			_, err = ptmx.Write([]byte(text))
			ts.Check(err)
		case "resize":
			var rows, cols int
			f := strings.Fields(arg)
			if len(f) == 2 {
				rows, _ = strconv.Atoi(f[0])
				cols, _ = strconv.Atoi(f[1])
			}
			if rows <= 0 || cols <= 0 {
				ts.Fatalf("pty: resize ROWS COLS, not %q", arg)
			}
			ts.Check(pty.Setsize(ptmx, &pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)}))
		case "expect":
			re, err := regexp.Compile(arg)
			ts.Check(err)
			deadline := time.After(ptyDeadline)
			for {
				s := transcript()
				if loc := re.FindStringIndex(s[from:]); loc != nil {
					from += loc[1]
					break
				}
				select {
				case <-grew:
				case <-exited:
					if s := transcript(); re.FindStringIndex(s[from:]) == nil {
						ts.Fatalf("pty: %s exited before writing %q; it wrote:\n%s", args[2], arg, s[from:])
					}
				case <-deadline:
					ts.Fatalf("pty: no %q from %s within %s; it wrote:\n%s", arg, args[2], ptyDeadline, transcript()[from:])
				}
			}
		default:
			ts.Fatalf("pty: unknown dialog line %q (send, expect, resize)", line)
		}
	}
	select {
	case <-exited:
	case <-time.After(ptyDeadline):
		ts.Fatalf("pty: %s did not exit after the dialog; it wrote:\n%s", args[2], transcript())
	}
	got := 0
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		got = ee.ExitCode()
	} else if waitErr != nil {
		ts.Fatalf("pty: %v", waitErr)
	}
	if got != want {
		ts.Fatalf("pty: %s exited with %d, want %d; it wrote:\n%s", args[2], got, want, transcript())
	}
}
