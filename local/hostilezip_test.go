package local

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// symlinkChainZip is issue 23's zip: c/d1/…/d10/f → ../×10 (that is, c/), then f/g (landing
// as c/g) → ../×12 + outside, then a regular file c/g written through it.
func symlinkChainZip(t *testing.T, outside string) []byte {
	t.Helper()
	deep := "c/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/f"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string, mode os.FileMode) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add("main.py", "print(1)\n", 0o644)
	add(deep, strings.Repeat("../", 10), os.ModeSymlink|0o777)
	add(deep+"/g", strings.Repeat("../", 12)+strings.TrimPrefix(outside, "/")+"/escaped", os.ModeSymlink|0o777)
	add("c/g", "written outside\n", 0o644)
	zw.Close()
	return buf.Bytes()
}

// zeroBombZip holds 8 entries of 100 MiB of zeros in well under 1 MiB.
func zeroBombZip(t *testing.T) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for range 100 {
		fw.Write(zeros)
		crc.Write(zeros)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 8 {
		h := &zip.FileHeader{Name: "z" + string(rune('0'+i)), Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100 << 20}
		h.SetMode(0o644)
		w, _ := zw.CreateRaw(h)
		w.Write(comp.Bytes())
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb of %d bytes", buf.Len())
	}
	return buf.Bytes()
}

// TestHostileCodeZips: CreateAgentRuntime with issue 23's symlink-chain zip, or with a 1 MiB
// zip that unpacks past AgentCore's 750 MB, ends CREATE_FAILED with the reason, and nothing is
// written outside the endpoint's folders.
func TestHostileCodeZips(t *testing.T) {
	needDocker(t)
	dir := t.TempDir()
	outside := t.TempDir()
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	s3c := s3Client(r)
	s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hostile")})
	for key, body := range map[string][]byte{"chain.zip": symlinkChainZip(t, outside), "bomb.zip": zeroBombZip(t)} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hostile"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	reason := func(name, key string) string {
		out, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String(name),
			AgentRuntimeArtifact: codeArtifact("hostile", key, "PYTHON_3_11", "main.py"),
			RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			got, err := ctlc.GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: out.AgentRuntimeId})
			if err != nil {
				t.Fatal(err)
			}
			switch got.Status {
			case types.AgentRuntimeStatusCreateFailed:
				return aws.ToString(got.FailureReason)
			case types.AgentRuntimeStatusReady:
				t.Fatalf("%s went READY", key)
			}
		}
		t.Fatalf("%s did not fail", key)
		return ""
	}
	if why := reason("chain", "chain.zip"); !strings.Contains(why, "outside the package") && !strings.Contains(why, "escapes") {
		t.Errorf("symlink chain: failureReason %q", why)
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("the symlink chain wrote %s outside the endpoint's folders", filepath.Join(outside, entries[0].Name()))
	}
	if why := reason("bomb", "bomb.zip"); !strings.Contains(why, "750 MB") {
		t.Errorf("zip bomb: failureReason %q", why)
	}
	var unpacked int64
	filepath.Walk(filepath.Join(dir, "code"), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			unpacked += info.Size()
		}
		return nil
	})
	if unpacked > 100<<20 {
		t.Errorf("%d MiB unpacked for a refused package", unpacked>>20)
	}
}
