package forward

import (
	"sync"
	"time"
)

// settingsCache is the server side of SessionInfo.Settings: the engine's
// lookups are answered from the values the client sent with the request,
// or else by asking the client while the request runs.
type settingsCache struct {
	sc *serverConn

	mu      sync.Mutex
	id      uint64 // request running; 0 when none (lookups cannot ask)
	values  map[string]setting
	seq     uint64
	waitSeq uint64
	waiting chan *request // answer for waitSeq

	ask sync.Mutex // one question in flight
}

func (c *settingsCache) init(sc *serverConn) { c.sc = sc }

// set installs the values sent with request id. Values are only trusted
// for the request that carried them: a SET in between would change them.
func (c *settingsCache) set(id uint64, values []setting) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.id = id
	c.values = make(map[string]setting, len(values))
	for _, v := range values {
		c.values[v.Name] = v
	}
}

// lookup is the engine session's Settings function.
func (c *settingsCache) lookup(name string) (string, bool) {
	c.mu.Lock()
	if v, ok := c.values[name]; ok {
		c.mu.Unlock()
		return v.Value, v.OK
	}
	id := c.id
	c.mu.Unlock()
	if id == 0 {
		return "", false
	}

	c.ask.Lock()
	defer c.ask.Unlock()
	ch := make(chan *request, 1)
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.waitSeq, c.waiting = seq, ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waitSeq, c.waiting = 0, nil
		c.mu.Unlock()
	}()
	if err := c.sc.write(&reply{Type: msgSettingReq, ID: id, Name: name, Seq: seq}); err != nil {
		return "", false
	}
	t := time.NewTimer(c.sc.srv.cfg.HeartbeatTimeout)
	defer t.Stop()
	select {
	case ans := <-ch:
		c.mu.Lock()
		if c.id == id {
			c.values[name] = setting{Name: name, Value: ans.Value, OK: ans.OK}
		}
		c.mu.Unlock()
		return ans.Value, ans.OK
	case <-c.sc.ctx.Done():
	case <-t.C:
	}
	return "", false
}

// answer delivers the client's answer (called by the reader); answers to
// questions nobody waits for any more are dropped.
func (c *settingsCache) answer(req *request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting != nil && req.Seq == c.waitSeq {
		c.waiting <- req
		c.waiting = nil
	}
}
