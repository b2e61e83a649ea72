package project

import (
	"strings"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Alarms is an [agents.NAME.alarms] table: CloudWatch alarms on one endpoint of the agent
// (DEFAULT unless endpoint names another: stable, where callers go in canary releases),
// deployed on AWS environments with its dashboard (templates/observability.yaml).
type Alarms struct {
	Endpoint     string   // the endpoint the alarms watch; "" means DEFAULT
	Errors       int      // alarm at this many SystemErrors + UserErrors in 5 minutes; 0: none
	LatencyP99Ms int      // alarm when the p99 latency is above this for 5 minutes; 0: none
	Notify       []string // e-mail addresses (at most MaxAlarmEmails) and SNS topic ARNs
}

// MaxAlarmEmails is how many e-mail addresses notify takes (the stack subscribes each to its
// own topic; an SNS topic of your own takes any number).
const MaxAlarmEmails = 3

type rawAlarms struct {
	Endpoint     *string  `toml:"endpoint"`
	Errors       *int     `toml:"errors"`
	LatencyP99Ms *int     `toml:"latency_p99_ms"`
	Notify       []string `toml:"notify"`
}

var (
	emailRE    = lazyregexp.New(`^[^@\s"',]+@[^@\s"',]+\.[^@\s"',]+$`)
	snsTopicRE = lazyregexp.New(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

// alarms validates an alarms table and applies it over the agent's (an environment's table
// overrides the keys it sets).
func (v *validator) alarms(path []string, r *rawAlarms, a *Agent) {
	if r == nil {
		return
	}
	path = append(append([]string{}, path...), "alarms")
	al := Alarms{}
	if a.Alarms != nil {
		al = *a.Alarms
		al.Notify = append([]string(nil), a.Alarms.Notify...)
	}
	if r.Errors != nil {
		if *r.Errors < 1 {
			v.addf(append(path, "errors"), "alarms.errors = %d: give the number of errors in 5 minutes that raises the alarm (1 or more), or leave the key out", *r.Errors)
		}
		al.Errors = *r.Errors
	}
	if r.LatencyP99Ms != nil {
		if *r.LatencyP99Ms < 1 || *r.LatencyP99Ms > 15*60*1000 {
			v.addf(append(path, "latency_p99_ms"), "alarms.latency_p99_ms = %d: give milliseconds between 1 and 900000 (AgentCore's 15-minute request limit)", *r.LatencyP99Ms)
		}
		al.LatencyP99Ms = *r.LatencyP99Ms
	}
	if r.Endpoint != nil {
		if !endpointNameRE.MatchString(*r.Endpoint) {
			v.addf(append(path, "endpoint"), "alarms.endpoint = %q is not an endpoint name (a letter, then letters, digits or _; at most 48), e.g. \"stable\"", *r.Endpoint)
		}
		al.Endpoint = *r.Endpoint
	}
	if r.Notify != nil {
		emails := 0
		for _, n := range r.Notify {
			switch {
			case snsTopicRE.MatchString(n):
			case emailRE.MatchString(n):
				emails++
			case strings.HasPrefix(n, "arn:"):
				v.addf(append(path, "notify"), "alarms.notify: %q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", n)
			default:
				v.addf(append(path, "notify"), "alarms.notify: %q is neither an e-mail address nor an SNS topic ARN", n)
			}
		}
		if emails > MaxAlarmEmails {
			v.addf(append(path, "notify"), "alarms.notify has %d e-mail addresses; at most %d are subscribed for you: create an SNS topic for more and name its ARN", emails, MaxAlarmEmails)
		}
		al.Notify = r.Notify
	}
	if len(al.Notify) > 0 && al.Errors == 0 && al.LatencyP99Ms == 0 {
		v.addf(path, "alarms.notify is set but no alarm is: add errors = N and/or latency_p99_ms = N")
	}
	a.Alarms = &al
}
