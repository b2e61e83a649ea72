package ecr

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Repositories: CreateRepository, DescribeRepositories, DeleteRepository, the Put*
// settings and GetAuthorizationToken.

// repoNamePattern is the model's RepositoryName pattern, anchored.
var repoNamePattern = lazyregexp.New(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

const (
	defaultPageSize = 100
	maxTags         = 50
)

// tag is ECR's resource tag (the model capitalises its members).
type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// repo is the stored record of a repository.
type repo struct {
	Name               string    `json:"name"`
	CreatedAt          time.Time `json:"createdAt"`
	ImageTagMutability string    `json:"imageTagMutability"`
	ScanOnPush         bool      `json:"scanOnPush"`
	EncryptionType     string    `json:"encryptionType"`
	KmsKey             string    `json:"kmsKey,omitempty"`
	Tags               []tag     `json:"tags,omitempty"`
	LifecyclePolicy    string    `json:"lifecyclePolicy,omitempty"`
}

type scanningConfig struct {
	ScanOnPush bool `json:"scanOnPush"`
}

type encryptionConfig struct {
	EncryptionType string `json:"encryptionType"`
	KmsKey         string `json:"kmsKey,omitempty"`
}

type repository struct {
	RepositoryArn              string           `json:"repositoryArn"`
	RegistryID                 string           `json:"registryId"`
	RepositoryName             string           `json:"repositoryName"`
	RepositoryURI              string           `json:"repositoryUri"`
	CreatedAt                  epoch            `json:"createdAt"`
	ImageTagMutability         string           `json:"imageTagMutability"`
	ImageScanningConfiguration scanningConfig   `json:"imageScanningConfiguration"`
	EncryptionConfiguration    encryptionConfig `json:"encryptionConfiguration"`
}

func (s *Service) arn(name string) string {
	return "arn:aws:ecr:" + s.cfg.Region + ":" + s.cfg.Account + ":repository/" + name
}

func (s *Service) view(r repo) repository {
	return repository{
		RepositoryArn:              s.arn(r.Name),
		RegistryID:                 s.cfg.Account,
		RepositoryName:             r.Name,
		RepositoryURI:              s.registryHost() + "/" + r.Name,
		CreatedAt:                  epoch(r.CreatedAt),
		ImageTagMutability:         r.ImageTagMutability,
		ImageScanningConfiguration: scanningConfig{r.ScanOnPush},
		EncryptionConfiguration:    encryptionConfig{r.EncryptionType, r.KmsKey},
	}
}

var errNoRepo = errors.New("no such repository")

func (s *Service) getRepo(name string) (repo, error) {
	var r repo
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos).Get([]byte(name))
		if b == nil {
			return errNoRepo
		}
		return json.Unmarshal(b, &r)
	})
	return r, err
}

func (s *Service) repoNotFound(name string) error {
	return newErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, s.cfg.Account)
}

// lookup validates the registry id and name and loads the repository.
func (s *Service) lookup(registryID *string, name string) (repo, error) {
	if err := s.checkRegistryID(registryID); err != nil {
		return repo{}, err
	}
	if err := validateRepoName(name); err != nil {
		return repo{}, err
	}
	r, err := s.getRepo(name)
	if errors.Is(err, errNoRepo) {
		return repo{}, s.repoNotFound(name)
	}
	return r, err
}

// update loads, changes and stores a repository in one transaction.
func (s *Service) update(name string, fn func(*repo) error) (repo, error) {
	var r repo
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos)
		v := b.Get([]byte(name))
		if v == nil {
			return s.repoNotFound(name)
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nv)
	})
	return r, err
}

func (s *Service) checkRegistryID(id *string) error {
	if id != nil && *id != s.cfg.Account {
		if len(*id) != 12 || strings.Trim(*id, "0123456789") != "" {
			return invalidParam("Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
		}
		// A real registry id of another account: the caller has no access to it.
		return newErr("RepositoryNotFoundException", "The registry with id '%s' is not accessible from this local endpoint (account '%s')", *id, s.cfg.Account)
	}
	return nil
}

func validateRepoName(name string) error {
	if name == "" {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'")
	}
	if len(name) < 2 || len(name) > 256 {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length between 2 and 256'")
	}
	if !repoNamePattern.MatchString(name) {
		return invalidParam("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '%s''", `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`)
	}
	return nil
}

func validateTags(tags []tag) error {
	if len(tags) > maxTags {
		return newErr("TooManyTagsException", "Tag limit exceeded: a repository can have at most %d tags", maxTags)
	}
	for _, t := range tags {
		if t.Key == nil || *t.Key == "" || len(*t.Key) > 128 {
			return newErr("InvalidTagParameterException", "Tag keys must be between 1 and 128 characters")
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return newErr("InvalidTagParameterException", "Tag keys beginning with 'aws:' are reserved for AWS use")
		}
		if t.Value == nil {
			return newErr("InvalidTagParameterException", "Tag value for key '%s' must not be null", *t.Key)
		}
		if len(*t.Value) > 256 {
			return newErr("InvalidTagParameterException", "Tag values must be at most 256 characters")
		}
	}
	return nil
}

// mergeTags adds or replaces tags by key, keeping the original order.
func mergeTags(have, add []tag) []tag {
	out := append([]tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if *out[i].Key == *t.Key {
				out[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// ---- repositories ----

type createRepositoryInput struct {
	RegistryID                 *string `json:"registryId"`
	RepositoryName             string  `json:"repositoryName"`
	Tags                       []tag   `json:"tags"`
	ImageTagMutability         string  `json:"imageTagMutability"`
	ImageScanningConfiguration *struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
	EncryptionConfiguration *struct {
		EncryptionType string `json:"encryptionType"`
		KmsKey         string `json:"kmsKey"`
	} `json:"encryptionConfiguration"`
}

func (s *Service) createRepository(in *createRepositoryInput) (any, error) {
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	if err := validateRepoName(in.RepositoryName); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	r := repo{
		Name:               in.RepositoryName,
		CreatedAt:          s.cfg.Now().UTC().Truncate(time.Millisecond),
		ImageTagMutability: "MUTABLE",
		EncryptionType:     "AES256",
		Tags:               mergeTags(nil, in.Tags),
	}
	if in.ImageTagMutability != "" {
		if err := validateMutability(in.ImageTagMutability); err != nil {
			return nil, err
		}
		r.ImageTagMutability = in.ImageTagMutability
	}
	if in.ImageScanningConfiguration != nil {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		switch e.EncryptionType {
		case "AES256":
			if e.KmsKey != "" {
				return nil, invalidParam("Invalid parameter: kmsKey can only be specified when encryptionType is 'KMS' or 'KMS_DSSE'")
			}
		case "KMS", "KMS_DSSE":
			r.KmsKey = e.KmsKey
			if r.KmsKey == "" {
				// ECR reports the AWS managed key it used.
				r.KmsKey = "arn:aws:kms:" + s.cfg.Region + ":" + s.cfg.Account + ":alias/aws/ecr"
			}
		default:
			return nil, invalidParam("Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]'")
		}
		r.EncryptionType = e.EncryptionType
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepos)
		if b.Get([]byte(r.Name)) != nil {
			return newErr("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", r.Name, s.cfg.Account)
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(r.Name), v)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"repository": s.view(r)}, nil
}

func validateMutability(m string) error {
	switch m {
	case "MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION":
		return nil
	}
	return invalidParam("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")
}

type putImageTagMutabilityInput struct {
	repoRef
	ImageTagMutability string `json:"imageTagMutability"`
}

func (s *Service) putImageTagMutability(in *putImageTagMutabilityInput) (any, error) {
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if err := validateMutability(in.ImageTagMutability); err != nil {
		return nil, err
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.ImageTagMutability = in.ImageTagMutability
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "imageTagMutability": r.ImageTagMutability}, nil
}

type putImageScanningConfigurationInput struct {
	repoRef
	ImageScanningConfiguration *scanningConfig `json:"imageScanningConfiguration"`
}

func (s *Service) putImageScanningConfiguration(in *putImageScanningConfigurationInput) (any, error) {
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageScanningConfiguration == nil {
		return nil, invalidParam("Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'Member must not be null'")
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "imageScanningConfiguration": scanningConfig{r.ScanOnPush}}, nil
}

func checkMaxResults(m *int) (int, error) {
	if m == nil {
		return defaultPageSize, nil
	}
	if *m < 1 || *m > 1000 {
		return 0, invalidParam("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000 and greater than or equal to 1'")
	}
	return *m, nil
}

type describeRepositoriesInput struct {
	RegistryID      *string  `json:"registryId"`
	RepositoryNames []string `json:"repositoryNames"`
	NextToken       *string  `json:"nextToken"`
	MaxResults      *int     `json:"maxResults"`
}

func (s *Service) describeRepositories(in *describeRepositoriesInput) (any, error) {
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	limit, err := checkMaxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if len(in.RepositoryNames) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, invalidParam("Invalid parameter: maxResults and nextToken cannot be used together with repositoryNames")
		}
		if len(in.RepositoryNames) > 100 {
			return nil, invalidParam("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
		}
		out := []repository{}
		for _, n := range in.RepositoryNames {
			r, err := s.lookup(nil, n)
			if err != nil {
				return nil, err
			}
			out = append(out, s.view(r))
		}
		return map[string]any{"repositories": out}, nil
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := []repository{}
	var next *string
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRepos).Cursor()
		k, v := awsproto.SeekAfter(c, after)
		for ; k != nil; k, v = c.Next() {
			if len(out) == limit {
				next = pageToken(out[len(out)-1].RepositoryName)
				return nil
			}
			var r repo
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, s.view(r))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"repositories": out}, next), nil
}

type deleteRepositoryInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName string  `json:"repositoryName"`
	Force          bool    `json:"force"`
}

func (s *Service) deleteRepository(in *deleteRepositoryInput) (any, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if s.reg != nil {
		imgs, err := s.reg.Images(r.Name)
		if err != nil {
			return nil, err
		}
		if len(imgs) > 0 && !in.Force {
			return nil, newErr("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", r.Name, s.cfg.Account)
		}
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRepos).Delete([]byte(r.Name))
	}); err != nil {
		return nil, err
	}
	if s.reg != nil {
		if err := s.reg.DeleteRepository(r.Name); err != nil {
			return nil, err
		}
	}
	return map[string]any{"repository": s.view(r)}, nil
}

// ---- authorization ----

type getAuthorizationTokenInput struct {
	RegistryIDs []string `json:"registryIds"`
}

func (s *Service) getAuthorizationToken(in *getAuthorizationTokenInput) (any, error) {
	for _, id := range in.RegistryIDs {
		if err := s.checkRegistryID(&id); err != nil {
			return nil, invalidParam("Invalid parameter at 'registryIds': registry id '%s' is not accessible from this local endpoint", id)
		}
	}
	now := s.cfg.Now()
	token, expires := base64.StdEncoding.EncodeToString([]byte("AWS:"+awsproto.RequestID()+awsproto.RequestID())), now.Add(12*time.Hour)
	if s.cfg.AuthorizationToken != nil {
		token, expires = s.cfg.AuthorizationToken(now)
	}
	data := map[string]any{
		"authorizationToken": token,
		"expiresAt":          epoch(expires),
		"proxyEndpoint":      "http://" + s.registryHost(),
	}
	return map[string]any{"authorizationData": []any{data}}, nil
}
