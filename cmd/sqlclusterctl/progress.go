package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// meter counts the bytes of a transfer and, on a terminal, redraws one
// progress line a few times a second. The summary after Stop is printed by
// the caller whether or not a terminal is attached.
type meter struct {
	out   io.Writer
	label string
	total int64 // 0 when unknown
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// startMeter starts a meter drawing on out every interval when tty is set.
func startMeter(out io.Writer, tty bool, interval time.Duration, label string, total int64) *meter {
	m := &meter{out: out, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	if tty {
		m.wg.Add(1)
		go m.draw(interval)
	}
	return m
}

func (m *meter) draw(interval time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	drawn := false
	for {
		select {
		case <-m.stop:
			if drawn {
				fmt.Fprint(m.out, "\r\033[K") // leave the line to the summary
			}
			return
		case <-t.C:
			fmt.Fprintf(m.out, "\r%s\033[K", m.line(time.Since(m.start)))
			drawn = true
		}
	}
}

func (m *meter) line(elapsed time.Duration) string {
	n := m.n.Load()
	s := m.label + ": " + megabytes(n)
	if m.total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", megabytes(m.total), n*100/m.total)
	}
	return s + "  " + rate(n, elapsed)
}

// Stop ends the display and returns the byte count and elapsed time.
func (m *meter) Stop() (int64, time.Duration) {
	m.once.Do(func() { close(m.stop) })
	m.wg.Wait()
	return m.n.Load(), time.Since(m.start)
}

func (m *meter) Reader(r io.Reader) io.Reader { return meterReader{r, m} }

type meterReader struct {
	r io.Reader
	m *meter
}

func (r meterReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.n.Add(int64(n))
	return n, err
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MB/s"
	}
	return fmt.Sprintf("%.1f MB/s", float64(n)/1e6/d.Seconds())
}

// isTerminal reports whether f is a character device, which for stderr
// means a terminal in practice (or /dev/null, where drawing is harmless).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
