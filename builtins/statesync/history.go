package statesync

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/agentcore/agentcore/state"
)

// The shared history of an environment lives beside its cloud copy, in pages of entries:
// /agentcore/PROJECT/ENV/history/0001, 0002... each a JSON array of entries, oldest first,
// filled up to a standard parameter's 4 KB (an entry too large for one alone has its changes
// summed up in a line), at most state.MaxSharedHistory entries (the oldest go first). Pages
// are independent of the state document: a push merges the entries here with those there (a
// union by entry id, never an overwrite), rewrites only the pages that differ, then reads
// them back and merges again if another push wrote meanwhile.

const historyPageLimit = standardLimit

func historyPage(path string, i int) string { return fmt.Sprintf("%s/history/%04d", path, i) }

// readHistory returns the entries of the cloud copy and its pages as they are (name -> value).
func readHistory(ctx context.Context, c *ssm.Client, path string) ([]state.HistoryEntry, map[string]string, error) {
	pages := map[string]string{}
	p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: awssdk.String(path + "/history"), Recursive: awssdk.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, prm := range page.Parameters {
			pages[awssdk.ToString(prm.Name)] = awssdk.ToString(prm.Value)
		}
	}
	names := make([]string, 0, len(pages))
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []state.HistoryEntry
	for _, n := range names {
		var es []state.HistoryEntry
		if err := json.Unmarshal([]byte(pages[n]), &es); err != nil {
			return nil, nil, fmt.Errorf("the history page %s is not a list of entries (%v): delete it (aws ssm delete-parameter --name %s) and push again", n, err, n)
		}
		all = state.MergeHistory(all, es)
	}
	return all, pages, nil
}

// historyPages packs entries (oldest first) into page values of at most historyPageLimit bytes.
func historyPages(entries []state.HistoryEntry) ([]string, error) {
	var pages []string
	var cur []json.RawMessage
	size := 2
	flush := func() {
		if len(cur) > 0 {
			pages = append(pages, "["+string(joinRaw(cur))+"]")
		}
		cur, size = nil, 2
	}
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if len(b)+2 > historyPageLimit {
			b, err = json.Marshal(squeeze(e))
			if err != nil {
				return nil, err
			}
		}
		if size+len(b)+1 > historyPageLimit {
			flush()
		}
		cur = append(cur, b)
		size += len(b) + 1
	}
	flush()
	return pages, nil
}

func joinRaw(rs []json.RawMessage) []byte {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	return []byte(b.String())
}

// squeeze makes an entry fit one page: its changes summed up in a line, long texts cut.
func squeeze(e state.HistoryEntry) state.HistoryEntry {
	n := len(e.Changes)
	e.Changes = []state.HistoryChange{{Kind: "note", Text: fmt.Sprintf("%d changes (too many to share; the history of the machine that ran it has them)", n)}}
	cut := func(s string, max int) string {
		if len(s) > max {
			return s[:max] + "..."
		}
		return s
	}
	e.Command = cut(e.Command, 512)
	e.Error = cut(e.Error, 1024)
	if len(e.Agents) > 20 {
		e.Agents = append(e.Agents[:20:20], fmt.Sprintf("and %d more", len(e.Agents)-20))
	}
	return e
}

// ownUnfinished tells this process's own started entries (the sync run itself): they are
// shared once they end, by a later push, rather than as "unfinished" on other machines.
func ownUnfinished(e state.HistoryEntry) bool {
	host, _ := os.Hostname()
	return e.Outcome == state.OutcomeStarted && e.PID == os.Getpid() && e.Host == host
}

// shareHistory merges local into the cloud copy under path and returns the union (bounded to
// state.MaxSharedHistory, the newest kept).
func shareHistory(ctx context.Context, c *ssm.Client, path string, local []state.HistoryEntry) ([]state.HistoryEntry, error) {
	mine := make([]state.HistoryEntry, 0, len(local))
	for _, e := range local {
		if !ownUnfinished(e) {
			mine = append(mine, e)
		}
	}
	for attempt := 0; ; attempt++ {
		cloud, pages, err := readHistory(ctx, c, path)
		if err != nil {
			return nil, err
		}
		all := state.MergeHistory(cloud, mine)
		if n := len(all); n > state.MaxSharedHistory {
			all = all[n-state.MaxSharedHistory:]
		}
		want, err := historyPages(all)
		if err != nil {
			return nil, err
		}
		for i, v := range want {
			name := historyPage(path, i+1)
			if pages[name] == v {
				continue
			}
			if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: awssdk.String(name), Value: awssdk.String(v),
				Type: ssmtypes.ParameterTypeString, Overwrite: awssdk.Bool(true), Tier: ssmtypes.ParameterTierStandard}); err != nil {
				return nil, err
			}
		}
		for name := range pages {
			if name > historyPage(path, len(want)) {
				_, _ = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: awssdk.String(name)})
			}
		}
		// another push between our read and our writes may have rewritten pages we did not:
		// read back, and merge again until every entry is there
		back, _, err := readHistory(ctx, c, path)
		if err != nil {
			return nil, err
		}
		if missing(back, all) == 0 || attempt == 4 {
			return state.MergeHistory(back, all), nil
		}
	}
}

// missing counts the entries of want that have is does not hold (by id).
func missing(have, want []state.HistoryEntry) int {
	ids := map[string]bool{}
	for _, e := range have {
		ids[e.ID] = true
	}
	n := 0
	for _, e := range want {
		if !ids[e.ID] {
			n++
		}
	}
	return n
}

// ShareHistory implements state.HistorySharer: an environment whose state is in SSM keeps
// its history there too, merged at the end of every run that changed it.
func (s *SSMStore) ShareHistory(ctx context.Context, env string, local []state.HistoryEntry) ([]state.HistoryEntry, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	return shareHistory(ctx, c, s.path(env), local)
}

// SharedHistory implements state.HistorySharer: the entries kept in SSM.
func (s *SSMStore) SharedHistory(ctx context.Context, env string) ([]state.HistoryEntry, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	es, _, err := readHistory(ctx, c, s.path(env))
	return es, err
}

// syncHistory shares the history of the environment in e with its cloud copy: local entries
// go up (push only: a pull changes nothing in the cloud), the others' come down into the
// local file. It returns how many entries the cloud copy holds and how many came down that
// were not here.
func syncHistory(ctx context.Context, e env, c *ssm.Client, push bool) (shared, brought int, err error) {
	log := e.run.History
	if log == nil {
		return 0, 0, nil
	}
	local, err := log.List(e.name)
	if err != nil {
		return 0, 0, err
	}
	var all []state.HistoryEntry
	if push {
		all, err = shareHistory(ctx, c, e.path, local)
	} else {
		all, _, err = readHistory(ctx, c, e.path)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("sharing the history of %s: %w", e.name, err)
	}
	brought = missing(local, all)
	if brought > 0 {
		if err := log.Merge(ctx, e.name, all); err != nil {
			return 0, 0, err
		}
	}
	return len(all), brought, nil
}
