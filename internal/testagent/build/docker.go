package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	archive "github.com/moby/go-archive"
)

// Label is put on every image Image builds, so leftovers can be found and removed.
const Label = "dev.agentcore.test"

// Image builds the test agent for goarch ("" means this machine's) with the Docker engine and
// tags it ref (e.g. 127.0.0.1:PORT/testagent:v1). Remove it with RemoveImage.
func Image(t testing.TB, cli *client.Client, ref, goarch string) error {
	t.Helper()
	dir, err := os.MkdirTemp("", "testagent-ctx-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	platform := ""
	if goarch == "" {
		Context(t, filepath.Join(dir, "ctx"))
	} else {
		ContextArch(t, filepath.Join(dir, "ctx"), goarch)
		platform = "linux/" + goarch
	}
	tar, err := archive.TarWithOptions(filepath.Join(dir, "ctx"), &archive.TarOptions{})
	if err != nil {
		return err
	}
	defer tar.Close()
	resp, err := cli.ImageBuild(context.Background(), tar, dockerbuild.ImageBuildOptions{
		Tags: []string{ref}, Labels: map[string]string{Label: "1"}, Remove: true, ForceRemove: true, Platform: platform,
	})
	if err != nil {
		return fmt.Errorf("docker build %s: %w", ref, err)
	}
	defer resp.Body.Close()
	if err := readStream(resp.Body); err != nil {
		return fmt.Errorf("docker build %s: %w", ref, err)
	}
	return nil
}

// Push pushes ref with the engine; registries on 127.0.0.0/8 are reached over plain HTTP.
// registryAuth is the X-Registry-Auth value ("" sends empty credentials).
func Push(ctx context.Context, cli *client.Client, ref, registryAuth string) error {
	if registryAuth == "" {
		registryAuth = base64.URLEncoding.EncodeToString([]byte("{}"))
	}
	rc, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: registryAuth})
	if err != nil {
		return fmt.Errorf("docker push %s: %w", ref, err)
	}
	defer rc.Close()
	if err := readStream(rc); err != nil {
		return fmt.Errorf("docker push %s: %w", ref, err)
	}
	return nil
}

// RemoveImage removes a tag Image created (errors are ignored: it is cleanup).
func RemoveImage(cli *client.Client, ref string) {
	cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
}

// readStream drains a build or push progress stream; errors arrive inside it.
func readStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
