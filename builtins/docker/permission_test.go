//go:build unix

package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/engine"
)

// TestSocketPermissionAsOtherUser produces the real "permission denied" error: root opens any
// socket, so the test binary runs itself again as nobody, against the engine's socket.
func TestSocketPermissionAsOtherUser(t *testing.T) {
	if os.Getenv("AGENTCORE_DOCKER_PERMISSION_CHILD") == "1" {
		permissionChild()
		return
	}
	const sock = "/var/run/docker.sock"
	st, err := os.Stat(sock)
	if err != nil || os.Geteuid() != 0 || st.Mode().Perm()&0o006 != 0 {
		t.Skip("needs root and a Docker socket closed to other users")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "agentcore-docker-perm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "docker.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestSocketPermissionAsOtherUser$")
	cmd.Dir = dir
	cmd.Env = []string{"AGENTCORE_DOCKER_PERMISSION_CHILD=1", "DOCKER_HOST=unix://" + sock, "HOME=" + dir, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "MSG doing: permission denied on the Docker socket at unix://"+sock) ||
		!strings.Contains(got, "HINT add your user to the docker group") {
		t.Errorf("child said:\n%s", got)
	}
}

func permissionChild() {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Println("client:", err)
		return
	}
	_, err = c.ServerVersion(context.Background())
	if err == nil {
		fmt.Println("no error: the socket is open to this user")
		return
	}
	e := explain(err, "doing", c.DaemonHost()).(*engine.Error)
	fmt.Printf("MSG %s\nHINT %s\nCAUSE %v\n", e.Msg, e.Hint, err)
}
