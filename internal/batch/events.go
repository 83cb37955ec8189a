package batch

import (
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
)

// A job's lifecycle as S3 reports it to CloudTrail: a service event
// (eventType AwsServiceEvent, invokedBy s3.amazonaws.com) named
// JobCreated when a job is created and JobStatusChanged at each change of
// its status, with S3's serviceEventDetails (jobId, jobArn, status,
// failureCodes, statusChangeReason) under additionalEventData. Each is
// staged in the audit outbox by the transaction that makes the change, so
// a crash after the commit loses none.

// jobEvents collects the events of one transaction. Begin it inside the
// transaction's fn (which may run more than once), stage with add, and
// end with done once the transaction has returned.
type jobEvents struct {
	s   *Service
	evs []audit.Event
	ps  []*audit.Pending
}

// begin (re)starts the collection at the start of a transaction's fn.
func (je *jobEvents) begin() {
	for _, p := range je.ps {
		p.Drop()
	}
	je.evs, je.ps = je.evs[:0], je.ps[:0]
}

// add stages the event name of r (as it is now) in tx.
func (je *jobEvents) add(tx meta.Tx, name string, r *jobRecord) error {
	ev := je.s.jobEvent(name, r)
	p := je.s.cfg.Audit.BeginFunc(func() audit.Event { return ev })
	if err := p.Stage(tx, ev); err != nil {
		p.Drop()
		return err
	}
	je.evs, je.ps = append(je.evs, ev), append(je.ps, p)
	return nil
}

// done appends the events if the transaction committed (err nil) and
// drops them otherwise.
func (je *jobEvents) done(err error) {
	for i, p := range je.ps {
		if err != nil {
			p.Drop()
			continue
		}
		if ferr := p.Finish(je.evs[i]); ferr != nil {
			je.s.log.Error("batch: job event not written", "event", je.evs[i].EventName, "err", ferr)
		}
	}
	je.evs, je.ps = nil, nil
}

func (s *Service) jobEvent(name string, r *jobRecord) audit.Event {
	codes, reasons := []string{}, []string{}
	for _, f := range r.Failures {
		codes = append(codes, f.Code)
		reasons = append(reasons, f.Reason)
	}
	if r.Reason != "" {
		reasons = append(reasons, r.Reason)
	}
	const svc = "s3.amazonaws.com"
	return audit.Event{EventTime: s.now(), EventSource: svc, EventName: name, AWSRegion: s.cfg.Region,
		SourceIPAddress: svc, UserAgent: svc, UserIdentity: audit.UserIdentity{AccountID: r.Account, InvokedBy: svc},
		EventType: "AwsServiceEvent", EventCategory: "Management", ManagementEvent: true, RecipientAccountID: r.Account,
		AdditionalEventData: map[string]any{"serviceEventDetails": map[string]any{"jobId": r.ID, "jobArn": r.ARN,
			"status": r.Status, "failureCodes": codes, "statusChangeReason": reasons}},
		Resources: []audit.Resource{{Type: "AWS::S3::Job", ARN: r.ARN, AccountID: r.Account}}}
}
