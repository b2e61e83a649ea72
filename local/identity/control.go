package identity

import (
	"fmt"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ---- workload identities ----

type workloadRec struct {
	Name       string            `json:"name"`
	Arn        string            `json:"arn"`
	ReturnURLs []string          `json:"returnUrls,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
	// Runtime is the agent runtime this identity was created for (AgentCore creates one per
	// runtime); "" for one made by CreateWorkloadIdentity.
	Runtime string `json:"runtime,omitempty"`
}

func (s *Service) workloadArn(name string) string {
	return fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:workload-identity-directory/default/workload-identity/%s", s.cfg.Region, s.cfg.Account, name)
}

func (w *workloadRec) out(full bool) map[string]any {
	out := map[string]any{"name": w.Name, "workloadIdentityArn": w.Arn}
	if full {
		out["allowedResourceOauth2ReturnUrls"] = nonNil(w.ReturnURLs)
		out["createdTime"], out["lastUpdatedTime"] = epoch(w.Created), epoch(w.Updated)
	}
	return out
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func checkReturnURLs(urls []string) error {
	for _, u := range urls {
		if err := returnURL.checkValue(u); err != nil {
			return err
		}
	}
	return nil
}

type workloadInput struct {
	Name       *string           `json:"name"`
	ReturnURLs []string          `json:"allowedResourceOauth2ReturnUrls"`
	Tags       map[string]string `json:"tags"`
}

func (s *Service) createWorkload(_ *http.Request, in *workloadInput) (int, any, error) {
	if err := workloadName.check(in.Name); err != nil {
		return 0, nil, err
	}
	if err := checkReturnURLs(in.ReturnURLs); err != nil {
		return 0, nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return 0, nil, err
	}
	now := s.cfg.Now().UTC()
	rec := &workloadRec{Name: *in.Name, Arn: s.workloadArn(*in.Name), ReturnURLs: in.ReturnURLs, Tags: in.Tags, Created: now, Updated: now}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		old, err := get[workloadRec](tx, bucketWorkloads, rec.Name)
		if err != nil {
			return err
		}
		if old != nil {
			return validation("Workload identity %s already exists", rec.Name)
		}
		return put(tx, bucketWorkloads, rec.Name, rec)
	})
	if err != nil {
		return 0, nil, err
	}
	out := rec.out(false)
	out["allowedResourceOauth2ReturnUrls"] = nonNil(rec.ReturnURLs)
	return http.StatusCreated, out, nil
}

type nameInput struct {
	Name *string `json:"name"`
}

var workloads = records[workloadRec]{bucket: bucketWorkloads, what: "Workload identity", name: workloadName,
	out: (*workloadRec).out, listKey: "workloadIdentities", max: 20}

func (s *Service) loadWorkload(name string) (*workloadRec, error) { return workloads.load(s, name) }

func (s *Service) getWorkload(_ *http.Request, in *nameInput) (int, any, error) {
	return workloads.getOp(s, in)
}

type listInput struct {
	NextToken  *string `json:"nextToken"`
	MaxResults *int    `json:"maxResults"`
}

func (s *Service) listWorkloads(_ *http.Request, in *listInput) (int, any, error) {
	return workloads.listOp(s, in)
}

func (s *Service) updateWorkload(_ *http.Request, in *workloadInput) (int, any, error) {
	if err := workloadName.check(in.Name); err != nil {
		return 0, nil, err
	}
	if err := checkReturnURLs(in.ReturnURLs); err != nil {
		return 0, nil, err
	}
	var rec *workloadRec
	err := s.cfg.DB.Update(func(tx *bolt.Tx) (err error) {
		if rec, err = get[workloadRec](tx, bucketWorkloads, *in.Name); err != nil || rec == nil {
			return err
		}
		rec.ReturnURLs, rec.Updated = in.ReturnURLs, s.cfg.Now().UTC()
		return put(tx, bucketWorkloads, rec.Name, rec)
	})
	if err == nil && rec == nil {
		err = notFound("Workload identity %s not found", *in.Name)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.out(true), nil
}

func (s *Service) deleteWorkload(_ *http.Request, in *nameInput) (int, any, error) {
	if _, err := workloads.remove(s, in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// EnsureRuntimeWorkload gives the agent runtime runtimeID its workload identity, named after
// the runtime as AgentCore names it, and returns its ARN. An identity of that name made
// earlier (for a runtime of the same name since deleted, or by hand) becomes the runtime's.
func (s *Service) EnsureRuntimeWorkload(runtimeID, name string) (string, error) {
	arn := s.workloadArn(name)
	var done bool
	if err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		rec, err := get[workloadRec](tx, bucketWorkloads, name)
		done = rec != nil && rec.Runtime == runtimeID
		return err
	}); err != nil || done {
		return arn, err
	}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		rec, err := get[workloadRec](tx, bucketWorkloads, name)
		if err != nil {
			return err
		}
		now := s.cfg.Now().UTC()
		if rec == nil {
			rec = &workloadRec{Name: name, Arn: arn, Created: now}
		} else if rec.Runtime == runtimeID {
			return nil
		}
		rec.Runtime, rec.Updated = runtimeID, now
		return put(tx, bucketWorkloads, name, rec)
	})
	return arn, err
}

// RemoveRuntimeWorkload deletes the workload identity of a deleted agent runtime (the one
// EnsureRuntimeWorkload made for it, if it is still the runtime's).
func (s *Service) RemoveRuntimeWorkload(runtimeID, name string) error {
	return s.cfg.DB.Update(func(tx *bolt.Tx) error {
		rec, err := get[workloadRec](tx, bucketWorkloads, name)
		if err != nil || rec == nil || rec.Runtime != runtimeID {
			return err
		}
		return tx.Bucket(bucketWorkloads).Delete([]byte(name))
	})
}

// ---- API key credential providers ----

type apiKeyRec struct {
	Name      string            `json:"name"`
	Arn       string            `json:"arn"`
	SecretArn string            `json:"secretArn"`
	Tags      map[string]string `json:"tags,omitempty"`
	Created   time.Time         `json:"created"`
	Updated   time.Time         `json:"updated"`
}

func (s *Service) providerArn(kind, name string) string {
	return fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:token-vault/default/%s/%s", s.cfg.Region, s.cfg.Account, kind, name)
}

// secretName is the Secrets Manager name AgentCore Identity keeps a provider's secret under.
func secretName(kind, name string) string {
	return "bedrock-agentcore-identity!default/" + kind + "/" + name
}

func (r *apiKeyRec) out(full bool) map[string]any {
	out := map[string]any{"name": r.Name, "credentialProviderArn": r.Arn, "createdTime": epoch(r.Created), "lastUpdatedTime": epoch(r.Updated)}
	if full {
		out["apiKeySecretArn"] = map[string]string{"secretArn": r.SecretArn}
	}
	return out
}

var apiKeyField = newField("apiKey", 1, 65536, "")

type apiKeyInput struct {
	Name   *string           `json:"name"`
	APIKey *string           `json:"apiKey"`
	Tags   map[string]string `json:"tags"`
}

func (in *apiKeyInput) check() error {
	if err := providerName.check(in.Name); err != nil {
		return err
	}
	if in.APIKey == nil {
		return fieldInvalid("apiKey", "null", "Member must not be null")
	}
	if err := apiKeyField.checkValue(*in.APIKey); err != nil {
		// never echo the key
		return fieldInvalid("apiKey", "***", "Member must have length between 1 and 65536")
	}
	return checkTags(in.Tags)
}

func (s *Service) createAPIKey(_ *http.Request, in *apiKeyInput) (int, any, error) {
	if err := in.check(); err != nil {
		return 0, nil, err
	}
	name := *in.Name
	var exists bool
	if err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		old, err := get[apiKeyRec](tx, bucketAPIKeys, name)
		exists = old != nil
		return err
	}); err != nil {
		return 0, nil, err
	}
	if exists {
		return 0, nil, conflict("Credential provider with name: %s already exists", name)
	}
	// The secret first: a kill between the two leaves a secret the next create overwrites,
	// never a provider without its key.
	secretArn, err := s.cfg.Secrets.PutManaged(secretName("apikey", name), *in.APIKey)
	if err != nil {
		return 0, nil, err
	}
	now := s.cfg.Now().UTC()
	rec := &apiKeyRec{Name: name, Arn: s.providerArn("apikeycredentialprovider", name), SecretArn: secretArn, Tags: in.Tags, Created: now, Updated: now}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if old, err := get[apiKeyRec](tx, bucketAPIKeys, name); err != nil || old != nil {
			if err == nil {
				err = conflict("Credential provider with name: %s already exists", name)
			}
			return err
		}
		return put(tx, bucketAPIKeys, name, rec)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"name": name, "credentialProviderArn": rec.Arn, "apiKeySecretArn": map[string]string{"secretArn": secretArn}}, nil
}

var apiKeys = records[apiKeyRec]{bucket: bucketAPIKeys, what: "Credential provider", name: providerName,
	out: (*apiKeyRec).out, listKey: "credentialProviders", max: 100}

func (s *Service) loadAPIKey(name string) (*apiKeyRec, error) { return apiKeys.load(s, name) }

func (s *Service) getAPIKey(_ *http.Request, in *nameInput) (int, any, error) {
	return apiKeys.getOp(s, in)
}

func (s *Service) listAPIKeys(_ *http.Request, in *listInput) (int, any, error) {
	return apiKeys.listOp(s, in)
}

func (s *Service) updateAPIKey(_ *http.Request, in *apiKeyInput) (int, any, error) {
	if err := in.check(); err != nil {
		return 0, nil, err
	}
	rec, err := s.loadAPIKey(*in.Name)
	if err != nil {
		return 0, nil, err
	}
	secretArn, err := s.cfg.Secrets.PutManaged(secretName("apikey", rec.Name), *in.APIKey)
	if err != nil {
		return 0, nil, err
	}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		cur, err := get[apiKeyRec](tx, bucketAPIKeys, rec.Name)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("Credential provider %s not found", rec.Name)
		}
		cur.SecretArn, cur.Updated = secretArn, s.cfg.Now().UTC()
		rec = cur
		return put(tx, bucketAPIKeys, cur.Name, cur)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.out(true), nil
}

func (s *Service) deleteAPIKey(_ *http.Request, in *nameInput) (int, any, error) {
	rec, err := apiKeys.remove(s, in)
	if err != nil {
		return 0, nil, err
	}
	// After the record: a kill between the two leaves a secret nobody names, which the next
	// create of that name overwrites.
	if err := s.cfg.Secrets.DeleteManaged(rec.SecretArn); err != nil {
		s.cfg.Logf("identity: deleting the secret of API key provider %s: %v", rec.Name, err)
	}
	return http.StatusNoContent, nil, nil
}

// ---- the token vault ----

type vaultRec struct {
	KeyType   string    `json:"keyType"`
	KmsKeyArn string    `json:"kmsKeyArn,omitempty"`
	Modified  time.Time `json:"modified"`
}

const defaultVault = "default"

type vaultInput struct {
	TokenVaultID *string `json:"tokenVaultId"`
	Kms          *struct {
		KeyType   *string `json:"keyType"`
		KmsKeyArn *string `json:"kmsKeyArn"`
	} `json:"kmsConfiguration"`
}

func (s *Service) vault(id *string) (*vaultRec, error) {
	if id != nil {
		if err := vaultID.check(id); err != nil {
			return nil, err
		}
		if *id != defaultVault {
			return nil, notFound("Token vault %s not found", *id)
		}
	}
	var rec *vaultRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		rec, err = get[vaultRec](tx, bucketVault, defaultVault)
		return err
	})
	if rec == nil {
		rec = &vaultRec{KeyType: "ServiceManagedKey", Modified: s.cfg.Now().UTC()}
	}
	return rec, err
}

func (v *vaultRec) out() map[string]any {
	kms := map[string]any{"keyType": v.KeyType}
	if v.KmsKeyArn != "" {
		kms["kmsKeyArn"] = v.KmsKeyArn
	}
	return map[string]any{"tokenVaultId": defaultVault, "kmsConfiguration": kms, "lastModifiedDate": epoch(v.Modified)}
}

func (s *Service) getTokenVault(_ *http.Request, in *vaultInput) (int, any, error) {
	rec, err := s.vault(in.TokenVaultID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.out(), nil
}

var kmsKeyArn = newField("kmsConfiguration.kmsKeyArn", 1, 2048, `arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}`)

func (s *Service) setTokenVaultCMK(_ *http.Request, in *vaultInput) (int, any, error) {
	if _, err := s.vault(in.TokenVaultID); err != nil {
		return 0, nil, err
	}
	if in.Kms == nil {
		return 0, nil, fieldInvalid("kmsConfiguration", "null", "Member must not be null")
	}
	if in.Kms.KeyType == nil {
		return 0, nil, fieldInvalid("kmsConfiguration.keyType", "null", "Member must not be null")
	}
	rec := &vaultRec{KeyType: *in.Kms.KeyType, Modified: s.cfg.Now().UTC()}
	switch rec.KeyType {
	case "ServiceManagedKey":
		if in.Kms.KmsKeyArn != nil {
			return 0, nil, validation("kmsKeyArn must not be given with keyType ServiceManagedKey")
		}
	case "CustomerManagedKey":
		if in.Kms.KmsKeyArn == nil {
			return 0, nil, validation("kmsKeyArn is required with keyType CustomerManagedKey")
		}
		if err := kmsKeyArn.check(in.Kms.KmsKeyArn); err != nil {
			return 0, nil, err
		}
		rec.KmsKeyArn = *in.Kms.KmsKeyArn
	default:
		return 0, nil, fieldInvalid("kmsConfiguration.keyType", rec.KeyType, "Member must satisfy enum value set: [CustomerManagedKey, ServiceManagedKey]")
	}
	if err := s.cfg.DB.Update(func(tx *bolt.Tx) error { return put(tx, bucketVault, defaultVault, rec) }); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rec.out(), nil
}
