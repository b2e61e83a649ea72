package netns

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Exec runs a command in the sandbox (its namespaces, the agent's environment with e.Env
// added) and returns its exit code (128+N when killed by signal N). Stdin is copied until it
// ends; a Stdin that never ends (a terminal) is left blocked in a read, as with os/exec. A
// cancelled ctx kills the command. A command that cannot start is an error.
func (b *Sandbox) Exec(ctx context.Context, e ExecSpec) (int, error) {
	if len(e.Argv) == 0 || e.Argv[0] == "" {
		return -1, errors.New("exec in a sandbox: no command")
	}
	c, err := b.connect(ctx, execSock)
	if err != nil {
		return -1, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	fw := &frameWriter{w: c}
	req, _ := json.Marshal(execRequest{Argv: e.Argv, Env: e.Env, Dir: e.Dir, TTY: e.TTY})
	if err := fw.write(frameRequest, req); err != nil {
		return -1, b.execError(ctx, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		if e.Stdin != nil {
			buf := make([]byte, 32<<10)
			for {
				n, err := e.Stdin.Read(buf)
				if n > 0 && fw.write(frameStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					break
				}
			}
		}
		fw.write(frameEOF, nil)
	}()
	if e.Resize != nil {
		go func() {
			for {
				select {
				case <-done:
					return
				case sz, ok := <-e.Resize:
					if !ok {
						return
					}
					var p [4]byte
					binary.BigEndian.PutUint16(p[:], sz[0])
					binary.BigEndian.PutUint16(p[2:], sz[1])
					if fw.write(frameResize, p[:]) != nil {
						return
					}
				}
			}
		}()
	}
	stdout, stderr := e.Stdout, e.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	buf := make([]byte, 32<<10)
	for {
		typ, payload, err := readFrame(c, buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("the sandbox closed the connection before the command's exit code came")
			}
			return -1, b.execError(ctx, err)
		}
		switch typ {
		case frameStdout:
			if _, err := stdout.Write(payload); err != nil {
				return -1, fmt.Errorf("exec %s: writing its output: %w", e.Argv[0], err)
			}
		case frameStderr:
			if _, err := stderr.Write(payload); err != nil {
				return -1, fmt.Errorf("exec %s: writing its output: %w", e.Argv[0], err)
			}
		case frameExit:
			if len(payload) != 4 {
				return -1, errors.New("exec: a malformed exit frame")
			}
			return int(int32(binary.BigEndian.Uint32(payload))), nil
		case frameFail:
			return -1, fmt.Errorf("exec %s in the sandbox: %s", e.Argv[0], payload)
		}
	}
}

func (b *Sandbox) execError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !b.Alive() {
		return b.goneError()
	}
	return fmt.Errorf("exec in the sandbox %s: %w", b.dir, err)
}
