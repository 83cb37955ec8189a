package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// Batch Operations jobs of the principal's account: list, describe (the
// page polls it for live progress), confirm and cancel, through the job
// engine's API as the principal (s3:ListJobs, s3:DescribeJob,
// s3:UpdateJobStatus).

func (c *Console) jobRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/jobs", c.authed(c.listJobs))
	m.HandleFunc("GET /console/api/jobs/{id}", c.authed(c.describeJob))
	m.HandleFunc("POST /console/api/jobs/{id}/status", c.authed(c.updateJobStatus))
}

// jobView is a job as the console shows it.
type jobView struct {
	ID          string    `json:"id"`
	Description string    `json:"description"`
	Operation   string    `json:"operation"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	DryRun      bool      `json:"dryRun"`
	Created     time.Time `json:"created"`
	Terminated  time.Time `json:"terminated,omitzero"`
	Total       int64     `json:"total"`
	TotalKnown  bool      `json:"totalKnown"`
	Succeeded   int64     `json:"succeeded"`
	Failed      int64     `json:"failed"`
	Failures    []string  `json:"failures,omitempty"`
	RoleARN     string    `json:"roleArn"`
	CreatedBy   string    `json:"createdBy"`
	// ReportBucket and ReportKey name the completion report's index
	// (manifest.json) once the job has ended with a report.
	ReportBucket string `json:"reportBucket,omitempty"`
	ReportKey    string `json:"reportKey,omitempty"`
}

func viewJob(j *kura.Job) jobView {
	v := jobView{ID: j.ID, Description: j.Description, Operation: string(j.Operation.Name), Status: string(j.Status),
		Reason: j.StatusUpdateReason, DryRun: j.DryRun, Created: j.CreationTime, Terminated: j.TerminationDate,
		Total: j.Progress.TotalTasks, TotalKnown: j.Progress.TotalKnown, Succeeded: j.Progress.Succeeded,
		Failed: j.Progress.Failed, RoleARN: j.RoleARN, CreatedBy: j.CreatedBy}
	for _, f := range j.FailureReasons {
		v.Failures = append(v.Failures, f.Code+": "+f.Reason)
	}
	if j.Report.Enabled && j.Status.Terminal() && j.Status != kura.JobCancelled {
		v.ReportBucket = strings.TrimPrefix(j.Report.Bucket, "arn:aws:s3:::")
		prefix := j.Report.Prefix
		if prefix != "" {
			prefix += "/"
		}
		v.ReportKey = prefix + "job-" + j.ID + "/manifest.json"
	}
	return v
}

func (c *Console) jobsOff(w http.ResponseWriter) bool {
	if c.cfg.Jobs == nil {
		writeErr(w, http.StatusNotImplemented, "BatchOff", "Batch Operations is off on this server.")
		return true
	}
	return false
}

func (c *Console) listJobs(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if c.jobsOff(w) {
		return
	}
	out := []jobView{}
	token := ""
	for range 10 { // at most 1000 jobs
		jobs, next, err := c.cfg.Jobs.ListJobs(r.Context(), call, call.Principal.AccountID, nil, token, 100)
		if err != nil {
			c.fail(w, err)
			return
		}
		for _, j := range jobs {
			out = append(out, viewJob(j))
		}
		if next == "" {
			break
		}
		token = next
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out})
}

func (c *Console) describeJob(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if c.jobsOff(w) {
		return
	}
	j, err := c.cfg.Jobs.DescribeJob(r.Context(), call, call.Principal.AccountID, r.PathValue("id"))
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewJob(j))
}

// updateJobStatus confirms ({"status":"Ready"}) or cancels
// ({"status":"Cancelled"}) a job.
func (c *Console) updateJobStatus(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if c.jobsOff(w) {
		return
	}
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil || (in.Status != "Ready" && in.Status != "Cancelled") {
		writeErr(w, http.StatusBadRequest, "InvalidArgument", "The body must be {\"status\":\"Ready\"} (confirm) or {\"status\":\"Cancelled\"}.")
		return
	}
	j, err := c.cfg.Jobs.UpdateJobStatus(r.Context(), call, call.Principal.AccountID, r.PathValue("id"), kura.JobStatus(in.Status), in.Reason)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewJob(j))
}
