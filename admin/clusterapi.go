package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Request and response bodies of the /cluster/ routes. Field names are API.
type (
	// AddMemberRequest is the body of POST /cluster/members.
	AddMemberRequest struct {
		ID      string `json:"id"`
		Address string `json:"address,omitempty"`
		Role    string `json:"role,omitempty"`
	}
	// AssignRoleRequest is the body of POST /cluster/members/{id}/role.
	AssignRoleRequest struct {
		Role string `json:"role"`
	}
	// TransferRequest is the body of POST /cluster/transfer.
	TransferRequest struct {
		ID string `json:"id"`
	}
	// Ack answers a successful operation with what happened, in words.
	Ack struct {
		Message string `json:"message"`
	}
	// ErrorResponse is the body of every failed /cluster/ request.
	ErrorResponse struct {
		Error string `json:"error"`
	}
)

// singleModeMessage is the message of every /cluster/ route on a node without
// a Cluster.
const singleModeMessage = "node runs in single mode: cluster commands need --mode stream or raft"

// maxJSONBody bounds JSON request bodies; they are a few fields long.
const maxJSONBody = 1 << 20

// StatusCode is the HTTP status the admin API answers for err: the
// admin.Err* values map to 404, 409, 503 and 400, anything else to 500.
func StatusCode(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrNoLeader):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func routeCluster(mux *http.ServeMux, c Cluster) {
	if c == nil {
		mux.HandleFunc("/cluster/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotImplemented, singleModeMessage)
		})
		return
	}
	api := clusterAPI{c}
	mux.HandleFunc("GET /cluster/members", api.members)
	mux.HandleFunc("POST /cluster/members", api.addMember)
	mux.HandleFunc("DELETE /cluster/members/{id}", api.removeMember)
	mux.HandleFunc("POST /cluster/members/{id}/role", api.assignRole)
	mux.HandleFunc("GET /cluster/leader", api.leader)
	mux.HandleFunc("POST /cluster/transfer", api.transfer)
	mux.HandleFunc("GET /cluster/backup", api.backup)
	mux.HandleFunc("POST /cluster/restore", api.restore)
}

type clusterAPI struct{ c Cluster }

func (a clusterAPI) members(w http.ResponseWriter, r *http.Request) {
	ms, err := a.c.Members(r.Context())
	if err != nil {
		writeClusterError(w, err)
		return
	}
	if ms == nil {
		ms = []Member{} // a JSON array, never null
	}
	writeJSON(w, http.StatusOK, ms)
}

func (a clusterAPI) leader(w http.ResponseWriter, r *http.Request) {
	m, ok, err := a.c.Leader(r.Context())
	if err != nil {
		writeClusterError(w, err)
		return
	}
	if !ok {
		writeError(w, http.StatusServiceUnavailable,
			"no primary/leader is known right now (an election may be in progress); retry in a few seconds")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (a clusterAPI) addMember(w http.ResponseWriter, r *http.Request) {
	var req AddMemberRequest
	if !readJSON(w, r, &req, `{"id": "n4", "address": "10.0.0.4:7946", "role": "voter"}`) {
		return
	}
	if req.ID == "" {
		writeError(w, http.StatusBadRequest, `missing "id": the ID of the node to add`)
		return
	}
	if err := a.c.AddMember(r.Context(), req.ID, req.Address, req.Role); err != nil {
		writeClusterError(w, err)
		return
	}
	role := req.Role
	if role == "" {
		role = "voter"
	}
	msg := fmt.Sprintf("added %s as %s", req.ID, role)
	if req.Address != "" {
		msg = fmt.Sprintf("added %s (%s) as %s", req.ID, req.Address, role)
	}
	writeJSON(w, http.StatusOK, Ack{Message: msg})
}

func (a clusterAPI) removeMember(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		writeError(w, http.StatusBadRequest, "missing member ID in the path: DELETE /cluster/members/{id}")
		return
	}
	if err := a.c.RemoveMember(r.Context(), id); err != nil {
		writeClusterError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Ack{Message: fmt.Sprintf("removed %s from the cluster", id)})
}

func (a clusterAPI) assignRole(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req AssignRoleRequest
	if !readJSON(w, r, &req, `{"role": "standby"}`) {
		return
	}
	if req.Role == "" {
		writeError(w, http.StatusBadRequest, `missing "role": one of voter, standby, spare`)
		return
	}
	if err := a.c.AssignRole(r.Context(), id, req.Role); err != nil {
		writeClusterError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Ack{Message: fmt.Sprintf("%s is now %s", id, req.Role)})
}

func (a clusterAPI) transfer(w http.ResponseWriter, r *http.Request) {
	var req TransferRequest
	if !readJSON(w, r, &req, `{"id": "n2"}`) {
		return
	}
	if req.ID == "" {
		writeError(w, http.StatusBadRequest, `missing "id": the node that should become primary/leader`)
		return
	}
	if err := a.c.Transfer(r.Context(), req.ID); err != nil {
		writeClusterError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Ack{Message: fmt.Sprintf("%s is now the primary/leader", req.ID)})
}

func (a clusterAPI) backup(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sqlcluster-%s.snap"`,
		time.Now().UTC().Format("20060102T150405Z")))
	bw := &committedWriter{w: w}
	err := a.c.Backup(r.Context(), bw)
	if err == nil {
		return
	}
	if !bw.committed {
		for _, k := range []string{"Content-Type", "Cache-Control", "Content-Disposition"} {
			h.Del(k)
		}
		writeClusterError(w, err)
		return
	}
	// The 200 and part of the snapshot are on the wire. Ending the handler
	// normally would finish the chunked body and the client would hold a
	// "complete" file missing its tail; aborting closes the connection
	// without the terminating chunk, so the client sees the truncation.
	panic(http.ErrAbortHandler)
}

func (a clusterAPI) restore(w http.ResponseWriter, r *http.Request) {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		var err error
		if force, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid force=%q: use force=1 or leave it out", v))
			return
		}
	}
	body := &countingReader{r: r.Body}
	if err := a.c.Restore(r.Context(), body, force); err != nil {
		writeClusterError(w, err)
		if body.n > 0 {
			lingerAfterReply(w, r)
		}
		return
	}
	writeJSON(w, http.StatusOK, Ack{Message: fmt.Sprintf("restored the cluster from a %d-byte snapshot", body.n)})
}

// lingerAfterReply keeps reading an upload for a moment after answering
// it early, so the client gets to read the answer. When a client sent
// "Expect: 100-continue" (curl does for large uploads, sqlclusterctl
// always), net/http closes a connection with unread body at once; the
// reset that follows can destroy the answer in the client's receive buffer
// before it is read, leaving the operator with "connection reset by peer"
// instead of the reason. The answer has a Content-Length, so the client
// can read it whole while we drain.
func lingerAfterReply(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	rc.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, r.Body)
}

// committedWriter notes whether the response status was committed: any
// Write, even an empty one, sends the 200 header.
type committedWriter struct {
	w         io.Writer
	committed bool
}

func (c *committedWriter) Write(p []byte) (int, error) {
	c.committed = true
	return c.w.Write(p)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readJSON decodes a small JSON request body into v, answering 400 itself
// (with an example of a good body) when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any, example string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("the request body is empty")
	}
	writeError(w, http.StatusBadRequest, fmt.Sprintf("reading the JSON request body: %v; expected e.g. %s", err, example))
	return false
}

func writeClusterError(w http.ResponseWriter, err error) {
	writeError(w, StatusCode(err), err.Error())
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ErrorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error": "encoding the answer failed"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}
