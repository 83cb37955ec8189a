package server

// StopAuditTrail closes the server's audit trail while it keeps serving:
// requests still apply their changes, but their final audit events can no
// longer be appended, as when the process stops between a change and its
// event. For tests only (this file is compiled into tests alone).
func (s *Server) StopAuditTrail() error { return s.audit.Close() }
