package ecr_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"
	bolt "go.etcd.io/bbolt"

	localecr "github.com/agentcore/agentcore/local/ecr"
	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/registry"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

var ctx = context.Background()

// harness runs the ECR API and the registry on one loopback port, routed like the local
// server routes them: /v2/ to the registry, everything else (X-Amz-Target) to ECR.
type harness struct {
	t    *testing.T
	dir  string
	db   *bolt.DB
	reg  *registry.Registry
	srv  *httptest.Server
	host string
	c    *ecr.Client
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir()}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	db, err := bolt.Open(filepath.Join(h.dir, "local.db"), 0o600, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	reg, err := registry.New(registry.Config{Dir: filepath.Join(h.dir, "registry")})
	if err != nil {
		h.t.Fatal(err)
	}
	api, err := localecr.New(localecr.Config{Config: awsproto.Config{DB: db, Account: account, Region: region}, Registry: reg})
	if err != nil {
		h.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", reg)
	mux.Handle("/", api)
	h.db, h.reg, h.srv = db, reg, httptest.NewServer(mux)
	h.host = strings.TrimPrefix(h.srv.URL, "http://")
	api.SetRegistryHost(h.host) // the port is known only once the server listens
	h.c = ecr.New(ecr.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(h.srv.URL),
	})
}

func (h *harness) close() {
	if h.srv != nil {
		h.srv.Close()
		h.db.Close()
		h.srv = nil
	}
}

func (h *harness) reopen() { h.close(); h.open() }

func (h *harness) create(name string, mod ...func(*ecr.CreateRepositoryInput)) *types.Repository {
	h.t.Helper()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}
	for _, m := range mod {
		m(in)
	}
	out, err := h.c.CreateRepository(ctx, in)
	if err != nil {
		h.t.Fatalf("CreateRepository %s: %v", name, err)
	}
	return out.Repository
}

// push writes a random image to repo:tag through the registry API with ECR's credentials.
func (h *harness) push(repo, tag string) v1.Image {
	h.t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.pushImage(repo, tag, img); err != nil {
		h.t.Fatalf("pushing %s:%s: %v", repo, tag, err)
	}
	return img
}

func (h *harness) pushImage(repo, tag string, img v1.Image) error {
	h.t.Helper()
	ref, err := name.ParseReference(h.host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		h.t.Fatal(err)
	}
	return remote.Write(ref, img, remote.WithAuth(h.auth()))
}

func (h *harness) auth() authn.Authenticator {
	h.t.Helper()
	out, err := h.c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	user, pass, _ := strings.Cut(string(b), ":")
	return &authn.Basic{Username: user, Password: pass}
}

func wantErr[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want %T", err, err, e)
	}
	return e
}

func digest(t *testing.T, img v1.Image) string {
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestRepositoriesLifecycle(t *testing.T) {
	h := newHarness(t)
	r := h.create("team/bot", func(in *ecr.CreateRepositoryInput) {
		in.ImageTagMutability = types.ImageTagMutabilityImmutable
		in.ImageScanningConfiguration = &types.ImageScanningConfiguration{ScanOnPush: true}
		in.Tags = []types.Tag{{Key: aws.String("app"), Value: aws.String("bot")}}
	})
	if aws.ToString(r.RepositoryArn) != "arn:aws:ecr:us-east-1:123456789012:repository/team/bot" ||
		aws.ToString(r.RegistryId) != account || aws.ToString(r.RepositoryUri) != h.host+"/team/bot" ||
		r.ImageTagMutability != types.ImageTagMutabilityImmutable || !r.ImageScanningConfiguration.ScanOnPush ||
		r.EncryptionConfiguration.EncryptionType != types.EncryptionTypeAes256 || r.CreatedAt == nil || time.Since(*r.CreatedAt) > time.Minute {
		t.Fatalf("repository = %+v", r)
	}
	plain := h.create("plain")
	if plain.ImageTagMutability != types.ImageTagMutabilityMutable || plain.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("defaults = %+v", plain)
	}
	kms := h.create("kms", func(in *ecr.CreateRepositoryInput) {
		in.EncryptionConfiguration = &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms}
	})
	if kms.EncryptionConfiguration.EncryptionType != types.EncryptionTypeKms || aws.ToString(kms.EncryptionConfiguration.KmsKey) == "" {
		t.Fatalf("kms = %+v", kms.EncryptionConfiguration)
	}

	_, err := h.c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("plain")})
	wantErr[*types.RepositoryAlreadyExistsException](t, err)
	for _, bad := range []string{"Upper", "a", "-lead", "trail-", "a//b", "x/"} {
		_, err = h.c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(bad)})
		wantErr[*types.InvalidParameterException](t, err)
	}
	_, err = h.c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
	wantErr[*types.InvalidTagParameterException](t, err)

	h.reopen()
	out, err := h.c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team/bot"}})
	if err != nil || len(out.Repositories) != 1 || out.Repositories[0].ImageTagMutability != types.ImageTagMutabilityImmutable {
		t.Fatalf("describe after reopen = %+v %v", out, err)
	}
	_, err = h.c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"plain", "nope"}})
	nf := wantErr[*types.RepositoryNotFoundException](t, err)
	if aws.ToString(nf.Message) != "The repository with name 'nope' does not exist in the registry with id '123456789012'" {
		t.Fatalf("message = %q", aws.ToString(nf.Message))
	}
	_, err = h.c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"plain"}, MaxResults: aws.Int32(1)})
	wantErr[*types.InvalidParameterException](t, err)

	del, err := h.c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("kms")})
	if err != nil || aws.ToString(del.Repository.RepositoryName) != "kms" {
		t.Fatalf("delete = %+v %v", del, err)
	}
	_, err = h.c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("kms")})
	wantErr[*types.RepositoryNotFoundException](t, err)
}

func TestDescribeRepositoriesPagination(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 7; i++ {
		h.create(fmt.Sprintf("repo-%d", i))
	}
	p := ecr.NewDescribeRepositoriesPaginator(h.c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(3)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	if pages != 3 || len(names) != 7 || names[0] != "repo-0" || names[6] != "repo-6" {
		t.Fatalf("%d pages: %v", pages, names)
	}
	_, err := h.c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1001)})
	wantErr[*types.InvalidParameterException](t, err)
}

func TestAuthorizationToken(t *testing.T) {
	h := newHarness(t)
	out, err := h.c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	d := out.AuthorizationData[0]
	b, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil || !strings.HasPrefix(string(b), "AWS:") || len(b) < 20 {
		t.Fatalf("token %q: %v", b, err)
	}
	if aws.ToString(d.ProxyEndpoint) != "http://"+h.host {
		t.Fatalf("proxyEndpoint = %s", aws.ToString(d.ProxyEndpoint))
	}
	if left := time.Until(*d.ExpiresAt); left < 11*time.Hour || left > 13*time.Hour {
		t.Fatalf("expiresAt in %s", left)
	}
}

func TestImages(t *testing.T) {
	h := newHarness(t)
	h.create("app")

	img1 := h.push("app", "v1")
	img2 := h.push("app", "v2")
	if err := h.pushImage("app", "latest", img2); err != nil {
		t.Fatal(err)
	}
	untagged, _ := random.Image(64, 1)
	ref, _ := name.ParseReference(h.host+"/app@"+digest(t, untagged), name.Insecure)
	if err := remote.Write(ref, untagged, remote.WithAuth(h.auth())); err != nil {
		t.Fatal(err)
	}

	// Pushing to a repository that was never created fails like ECR.
	err := h.pushImage("ghost", "v1", img1)
	if err == nil || !strings.Contains(err.Error(), "NAME_UNKNOWN") || !strings.Contains(err.Error(), "The repository with name 'ghost' does not exist in the registry with id '123456789012'") {
		t.Fatalf("push to ghost: %v", err)
	}

	h.reopen()
	out, err := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app")})
	if err != nil || len(out.ImageDetails) != 3 {
		t.Fatalf("describe = %+v %v", out, err)
	}
	byDigest := map[string]types.ImageDetail{}
	for _, d := range out.ImageDetails {
		byDigest[aws.ToString(d.ImageDigest)] = d
	}
	d2 := byDigest[digest(t, img2)]
	layers, _ := img2.Layers()
	var size int64
	for _, l := range layers {
		s, _ := l.Size()
		size += s
	}
	if fmt.Sprint(d2.ImageTags) != "[latest v2]" || aws.ToInt64(d2.ImageSizeInBytes) != size || d2.ImagePushedAt == nil ||
		aws.ToString(d2.ImageManifestMediaType) != "application/vnd.docker.distribution.manifest.v2+json" ||
		aws.ToString(d2.RegistryId) != account || aws.ToString(d2.RepositoryName) != "app" {
		t.Fatalf("detail = %+v", d2)
	}
	if len(byDigest[digest(t, untagged)].ImageTags) != 0 {
		t.Fatalf("untagged image has tags")
	}

	one, err := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil || len(one.ImageDetails) != 1 || aws.ToString(one.ImageDetails[0].ImageDigest) != digest(t, img1) {
		t.Fatalf("by tag = %+v %v", one, err)
	}
	_, err = h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("nope")}}})
	wantErr[*types.ImageNotFoundException](t, err)
	_, err = h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("ghost")})
	wantErr[*types.RepositoryNotFoundException](t, err)
	tagged, err := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), Filter: &types.DescribeImagesFilter{TagStatus: types.TagStatusUntagged}})
	if err != nil || len(tagged.ImageDetails) != 1 {
		t.Fatalf("untagged filter = %+v %v", tagged, err)
	}

	// Pagination of DescribeImages and ListImages.
	var seen int
	dp := ecr.NewDescribeImagesPaginator(h.c, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(2)})
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.ImageDetails)
	}
	if seen != 3 {
		t.Fatalf("paginated describe saw %d", seen)
	}
	var ids []string
	lp := ecr.NewListImagesPaginator(h.c, &ecr.ListImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(1)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range page.ImageIds {
			ids = append(ids, aws.ToString(id.ImageTag))
		}
	}
	if len(ids) != 4 { // v1, v2, latest and the untagged one
		t.Fatalf("list = %q", ids)
	}

	// BatchDeleteImage: by tag (image stays, other tag remains), by digest, unknown ones fail.
	bd, err := h.c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{
		{ImageTag: aws.String("latest")},
		{ImageDigest: aws.String(digest(t, img1))},
		{ImageTag: aws.String("missing")},
		{ImageDigest: aws.String("sha256:" + strings.Repeat("0", 64))},
		{ImageDigest: aws.String("bogus")},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bd.ImageIds) != 2 || aws.ToString(bd.ImageIds[0].ImageDigest) != digest(t, img2) || aws.ToString(bd.ImageIds[1].ImageTag) != "v1" {
		t.Fatalf("deleted = %+v", bd.ImageIds)
	}
	var codes []string
	for _, f := range bd.Failures {
		codes = append(codes, string(f.FailureCode))
		if aws.ToString(f.FailureReason) == "" {
			t.Fatalf("failure without reason: %+v", f)
		}
	}
	if fmt.Sprint(codes) != "[ImageNotFound ImageNotFound InvalidImageDigest MissingDigestAndTag]" {
		t.Fatalf("failures = %v", codes)
	}
	left, _ := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app")})
	if len(left.ImageDetails) != 2 {
		t.Fatalf("left = %+v", left.ImageDetails)
	}

	_, err = h.c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("app")})
	wantErr[*types.RepositoryNotEmptyException](t, err)
	if _, err := h.c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("app"), Force: true}); err != nil {
		t.Fatal(err)
	}
	// Recreating the repository starts empty.
	h.create("app")
	empty, err := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app")})
	if err != nil || len(empty.ImageDetails) != 0 {
		t.Fatalf("recreated = %+v %v", empty, err)
	}
}

func TestIndexChildrenCannotBeDeleted(t *testing.T) {
	h := newHarness(t)
	h.create("multi")
	img := h.push("multi", "amd64")
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, ggcrtypes.OCIImageIndex), mutate.IndexAddendum{Add: img})
	ref, _ := name.ParseReference(h.host+"/multi:all", name.Insecure)
	if err := remote.WriteIndex(ref, idx, remote.WithAuth(h.auth())); err != nil {
		t.Fatal(err)
	}
	out, err := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("all")}}})
	if err != nil || aws.ToString(out.ImageDetails[0].ImageManifestMediaType) != string(ggcrtypes.OCIImageIndex) || aws.ToInt64(out.ImageDetails[0].ImageSizeInBytes) == 0 {
		t.Fatalf("index detail = %+v %v", out, err)
	}
	bd, err := h.c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{{ImageDigest: aws.String(digest(t, img))}}})
	if err != nil || len(bd.Failures) != 1 || bd.Failures[0].FailureCode != types.ImageFailureCodeImageReferencedByManifestList {
		t.Fatalf("delete child = %+v %v", bd, err)
	}
}

func TestRetagWithBatchGetImageAndPutImage(t *testing.T) {
	h := newHarness(t)
	h.create("promo")
	img := h.push("promo", "build-1")
	got, err := h.c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("promo"),
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("build-1")}, {ImageTag: aws.String("nope")}}})
	if err != nil || len(got.Images) != 1 || len(got.Failures) != 1 || got.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound {
		t.Fatalf("BatchGetImage = %+v %v", got, err)
	}
	gi := got.Images[0]
	if aws.ToString(gi.ImageId.ImageDigest) != digest(t, img) || aws.ToString(gi.ImageManifestMediaType) != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Fatalf("image = %+v", gi)
	}
	put, err := h.c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("promo"), ImageManifest: gi.ImageManifest, ImageTag: aws.String("prod")})
	if err != nil || aws.ToString(put.Image.ImageId.ImageDigest) != digest(t, img) || aws.ToString(put.Image.ImageId.ImageTag) != "prod" {
		t.Fatalf("PutImage = %+v %v", put, err)
	}
	d, _ := h.c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("promo")})
	if len(d.ImageDetails) != 1 || fmt.Sprint(d.ImageDetails[0].ImageTags) != "[build-1 prod]" {
		t.Fatalf("after retag = %+v", d.ImageDetails)
	}
	_, err = h.c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("promo"), ImageManifest: gi.ImageManifest, ImageTag: aws.String("prod")})
	wantErr[*types.ImageAlreadyExistsException](t, err)
	_, err = h.c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("promo"), ImageManifest: gi.ImageManifest, ImageTag: aws.String("x"),
		ImageDigest: aws.String("sha256:" + strings.Repeat("a", 64))})
	wantErr[*types.ImageDigestDoesNotMatchException](t, err)
	other, _ := random.Image(32, 1) // never pushed: its layers are not in the repository
	om, _ := other.RawManifest()
	_, err = h.c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("promo"), ImageManifest: aws.String(string(om)), ImageTag: aws.String("other")})
	wantErr[*types.LayersNotFoundException](t, err)

	h.create("locked", func(in *ecr.CreateRepositoryInput) { in.ImageTagMutability = types.ImageTagMutabilityImmutable })
	h.push("locked", "prod")
	second := h.push("locked", "next")
	sm, _ := second.RawManifest()
	_, err = h.c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("locked"), ImageManifest: aws.String(string(sm)), ImageTag: aws.String("prod")})
	wantErr[*types.ImageTagAlreadyExistsException](t, err)
}

func TestImmutableTags(t *testing.T) {
	h := newHarness(t)
	h.create("frozen", func(in *ecr.CreateRepositoryInput) { in.ImageTagMutability = types.ImageTagMutabilityImmutable })
	img := h.push("frozen", "v1")
	if err := h.pushImage("frozen", "v1", img); err != nil {
		t.Fatalf("re-pushing the same image: %v", err)
	}
	other, _ := random.Image(16, 1)
	if err := h.pushImage("frozen", "v1", other); err == nil || !strings.Contains(err.Error(), "TAG_INVALID") {
		t.Fatalf("overwriting an immutable tag: %v", err)
	}

	// Switching the repository to MUTABLE lets the tag move.
	out, err := h.c.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{RepositoryName: aws.String("frozen"), ImageTagMutability: types.ImageTagMutabilityMutable})
	if err != nil || out.ImageTagMutability != types.ImageTagMutabilityMutable {
		t.Fatalf("PutImageTagMutability = %+v %v", out, err)
	}
	if err := h.pushImage("frozen", "v1", other); err != nil {
		t.Fatalf("overwriting a mutable tag: %v", err)
	}
	sc, err := h.c.PutImageScanningConfiguration(ctx, &ecr.PutImageScanningConfigurationInput{RepositoryName: aws.String("frozen"),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true}})
	if err != nil || !sc.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("PutImageScanningConfiguration = %+v %v", sc, err)
	}
	d, _ := h.c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"frozen"}})
	if r := d.Repositories[0]; r.ImageTagMutability != types.ImageTagMutabilityMutable || !r.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("repository = %+v", r)
	}
}

func TestLifecyclePolicy(t *testing.T) {
	h := newHarness(t)
	h.create("lc")
	_, err := h.c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("lc")})
	wantErr[*types.LifecyclePolicyNotFoundException](t, err)
	policy := `{"rules":[{"rulePriority":1,"description":"keep ten","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
	put, err := h.c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("lc"), LifecyclePolicyText: aws.String(policy)})
	if err != nil || aws.ToString(put.LifecyclePolicyText) != policy || aws.ToString(put.RegistryId) != account {
		t.Fatalf("put = %+v %v", put, err)
	}
	_, err = h.c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("lc"), LifecyclePolicyText: aws.String("{}")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = h.c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("ghost"), LifecyclePolicyText: aws.String(policy)})
	wantErr[*types.RepositoryNotFoundException](t, err)
	h.reopen()
	got, err := h.c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("lc")})
	if err != nil || aws.ToString(got.LifecyclePolicyText) != policy {
		t.Fatalf("get = %+v %v", got, err)
	}
	del, err := h.c.DeleteLifecyclePolicy(ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: aws.String("lc")})
	if err != nil || aws.ToString(del.LifecyclePolicyText) != policy {
		t.Fatalf("delete = %+v %v", del, err)
	}
	_, err = h.c.DeleteLifecyclePolicy(ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: aws.String("lc")})
	wantErr[*types.LifecyclePolicyNotFoundException](t, err)
}

func TestResourceTags(t *testing.T) {
	h := newHarness(t)
	r := h.create("tags", func(in *ecr.CreateRepositoryInput) {
		in.Tags = []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}
	})
	arn := r.RepositoryArn
	if _, err := h.c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("2")}, {Key: aws.String("b"), Value: aws.String("3")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"b", "zzz"}}); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	out, err := h.c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "a" || aws.ToString(out.Tags[0].Value) != "2" {
		t.Fatalf("tags = %+v %v", out, err)
	}
	_, err = h.c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecr:us-east-1:123456789012:repository/ghost")})
	wantErr[*types.RepositoryNotFoundException](t, err)
	_, err = h.c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: []types.Tag{}})
	wantErr[*types.InvalidParameterException](t, err)
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	_, err = h.c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: arn, Tags: many})
	wantErr[*types.TooManyTagsException](t, err)
}

func TestUnknownOperation(t *testing.T) {
	h := newHarness(t)
	_, err := h.c.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Fatalf("err = %v", err)
	}
}

func TestAWSCLISmoke(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	h := newHarness(t)
	h.create("cli/repo")
	cmd := exec.Command("aws", "ecr", "describe-repositories", "--endpoint-url", h.srv.URL, "--output", "text",
		"--query", "repositories[0].repositoryUri")
	cmd.Env = awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != h.host+"/cli/repo" {
		t.Fatalf("aws ecr describe-repositories: %v\n%s", err, out)
	}
	cmd = exec.Command("aws", "ecr", "describe-repositories", "--repository-names", "ghost", "--endpoint-url", h.srv.URL)
	cmd.Env = awsEnv()
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RepositoryNotFoundException") {
		t.Fatalf("missing repository: %v\n%s", err, out)
	}
	cmd = exec.Command("aws", "ecr", "get-login-password", "--endpoint-url", h.srv.URL)
	cmd.Env = awsEnv()
	if out, err = cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) < 10 {
		t.Fatalf("aws ecr get-login-password: %v\n%s", err, out)
	}
}

// awsEnv is the environment with dummy credentials and no AWS settings from the machine.
func awsEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}
