// Command sockeye-go-client drives the hijacked Docker Engine endpoints
// (container attach, exec start/attach) through the official Docker Go SDK
// (github.com/docker/docker/client, moby 20.10 as packaged by Debian 12).
//
// It is meant to be run once straight against dockerd and once through
// sockeye; the integration test compares the two outputs. Every step prints
// exactly one deterministic line "<step>: <result>" on stdout (no ids, no
// timings, no random names). A failing step prints "<step>: error: <msg>"
// and the program goes on. The exit status is 0 once all steps ran, and
// non-zero only when the daemon cannot be reached at all.
//
// Environment:
//
//	DOCKER_HOST         daemon address (client.FromEnv), e.g. unix:///path/docker.sock
//	SOCKEYE_TEST_IMAGE  local image to run (default sockeye-test/busybox:1); never pulled
//	SOCKEYE_STEP_TIMEOUT  seconds allowed per step (default 60)
//
// Build: see build.sh beside this file (GOPATH mode, offline, Debian packages).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

const (
	defaultImage = "sockeye-test/busybox:1"
)

var stepTimeout = 60 * time.Second

type runner struct {
	cli   *client.Client
	image string
	// mu guards the fields below: a step abandoned on timeout may still be
	// running in its goroutine.
	mu sync.Mutex
	// ids of every container this run created, removed (forced) at the end.
	created []string
	// long-running container shared by the exec steps, created lazily
	// (guarded by tmu, not mu).
	tmu           sync.Mutex
	execTarget    string
	execTargetErr error
}

func main() {
	image := os.Getenv("SOCKEYE_TEST_IMAGE")
	if image == "" {
		image = defaultImage
	}
	if v := os.Getenv("SOCKEYE_STEP_TIMEOUT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			stepTimeout = time.Duration(n) * time.Second
		}
	}

	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Printf("ping: error: %v\n", err)
		os.Exit(1)
	}
	defer cli.Close()

	r := &runner{cli: cli, image: image}
	defer r.cleanup()

	// Connecting at all is the only fatal condition.
	pctx, pcancel := context.WithTimeout(context.Background(), stepTimeout)
	_, err = cli.Ping(pctx)
	pcancel()
	if err != nil {
		fmt.Printf("ping: error: %v\n", oneLine(err))
		r.cleanup()
		os.Exit(1)
	}
	// Ping does not negotiate by itself; force it so the line is stable.
	cli.NegotiateAPIVersion(context.Background())
	fmt.Printf("ping: ok\n")

	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"attach", r.attach},
		{"attach-stdin", r.attachStdin},
		{"attach-tty", r.attachTTY},
		{"exec", r.exec},
		{"exec-stdin", r.execStdin},
		{"exec-tty", r.execTTY},
		{"exec-detach", r.execDetach},
	}
	for _, s := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		res, err := runStep(ctx, s.fn)
		cancel()
		if err != nil {
			fmt.Printf("%s: error: %s\n", s.name, oneLine(err))
		} else {
			fmt.Printf("%s: %s\n", s.name, res)
		}
	}
}

// runStep runs one step in its own goroutine, turning a panic into an error
// so later steps and the cleanup still run. The SDK honours the context for
// dialing and plain requests but not while waiting for the answer to a
// hijack (upgrade) request, so a step still blocked when its context expires
// is abandoned: its goroutine is left behind and the program goes on.
func runStep(ctx context.Context, fn func(context.Context) (string, error)) (string, error) {
	type result struct {
		res string
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		res, err := fn(ctx)
		done <- result{res, err}
	}()
	select {
	case r := <-done:
		return r.res, r.err
	case <-ctx.Done():
		// Give the step a moment to report its own (more precise) error.
		select {
		case r := <-done:
			return r.res, r.err
		case <-time.After(2 * time.Second):
			return "", fmt.Errorf("step timed out after %s", stepTimeout)
		}
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func randomName() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("sockeye-go-%d", time.Now().UnixNano())
	}
	return "sockeye-go-" + hex.EncodeToString(b)
}

func (r *runner) cleanup() {
	r.mu.Lock()
	ids := append([]string(nil), r.created...)
	r.created = nil
	r.mu.Unlock()
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.cli.ContainerRemove(ctx, id, types.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		cancel()
		if err != nil && !client.IsErrNotFound(err) {
			fmt.Fprintf(os.Stderr, "cleanup: removing %s: %v\n", id, err)
		}
	}
}

// remove force-removes one container now and forgets it.
func (r *runner) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.cli.ContainerRemove(ctx, id, types.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !client.IsErrNotFound(err) {
		fmt.Fprintf(os.Stderr, "cleanup: removing %s: %v\n", id, err)
		return // keep it in r.created for the final cleanup
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.created {
		if c == id {
			r.created = append(r.created[:i], r.created[i+1:]...)
			break
		}
	}
}

func (r *runner) create(ctx context.Context, cfg *container.Config) (string, error) {
	cfg.Image = r.image
	body, err := r.cli.ContainerCreate(ctx, cfg, &container.HostConfig{}, nil, nil, randomName())
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	r.mu.Lock()
	r.created = append(r.created, body.ID)
	r.mu.Unlock()
	return body.ID, nil
}

// bound makes blocking reads/writes on a hijacked connection honour the
// step's deadline: the SDK only uses the context for dialing.
func bound(ctx context.Context, conn net.Conn) (stop func()) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// waitExit waits for the result of a ContainerWait registered before start.
func waitExit(ctx context.Context, okC <-chan container.ContainerWaitOKBody, errC <-chan error) (int64, error) {
	select {
	case res := <-okC:
		if res.Error != nil && res.Error.Message != "" {
			return res.StatusCode, fmt.Errorf("wait: %s", res.Error.Message)
		}
		return res.StatusCode, nil
	case err := <-errC:
		return 0, fmt.Errorf("wait: %w", err)
	case <-ctx.Done():
		return 0, fmt.Errorf("wait: %w", ctx.Err())
	}
}

func demux(rd io.Reader) (string, string, error) {
	var so, se bytes.Buffer
	if _, err := stdcopy.StdCopy(&so, &se, rd); err != nil {
		return so.String(), se.String(), fmt.Errorf("stdcopy: %w", err)
	}
	return so.String(), se.String(), nil
}

// runAttached creates a container, attaches to it, registers a wait, starts
// it, optionally writes stdin (then half-closes) and reads the whole stream.
func (r *runner) runAttached(ctx context.Context, cfg *container.Config, opts types.ContainerAttachOptions, stdin string) (raw []byte, code int64, err error) {
	id, err := r.create(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	defer r.remove(id)

	hr, err := r.cli.ContainerAttach(ctx, id, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("attach: %w", err)
	}
	defer hr.Close()
	defer bound(ctx, hr.Conn)()

	okC, errC := r.cli.ContainerWait(ctx, id, container.WaitConditionNextExit)
	if err := r.cli.ContainerStart(ctx, id, types.ContainerStartOptions{}); err != nil {
		return nil, 0, fmt.Errorf("start: %w", err)
	}
	if opts.Stdin {
		if _, err := io.WriteString(hr.Conn, stdin); err != nil {
			return nil, 0, fmt.Errorf("write stdin: %w", err)
		}
		if err := hr.CloseWrite(); err != nil {
			return nil, 0, fmt.Errorf("close stdin: %w", err)
		}
	}
	raw, rerr := io.ReadAll(hr.Reader)
	code, werr := waitExit(ctx, okC, errC)
	if rerr != nil {
		return raw, code, fmt.Errorf("read: %w", rerr)
	}
	return raw, code, werr
}

func (r *runner) attach(ctx context.Context) (string, error) {
	raw, code, err := r.runAttached(ctx, &container.Config{
		Cmd:          []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
		AttachStdout: true,
		AttachStderr: true,
	}, types.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true}, "")
	if err != nil {
		return "", err
	}
	so, se, err := demux(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("stdout=%q stderr=%q exit=%d", so, se, code), nil
}

func (r *runner) attachStdin(ctx context.Context) (string, error) {
	raw, code, err := r.runAttached(ctx, &container.Config{
		Cmd:          []string{"cat"},
		OpenStdin:    true,
		StdinOnce:    true,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
	}, types.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true}, "hello\n")
	if err != nil {
		return "", err
	}
	so, se, err := demux(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("stdout=%q stderr=%q exit=%d", so, se, code), nil
}

func (r *runner) attachTTY(ctx context.Context) (string, error) {
	raw, code, err := r.runAttached(ctx, &container.Config{
		Cmd:          []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
		Tty:          true,
		AttachStdout: true,
		AttachStderr: true,
	}, types.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true}, "")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("output=%q exit=%d", string(raw), code), nil
}

// target returns the running `sleep 300` container shared by the exec steps.
func (r *runner) target(ctx context.Context) (string, error) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if r.execTarget != "" || r.execTargetErr != nil {
		return r.execTarget, r.execTargetErr
	}
	id, err := r.create(ctx, &container.Config{Cmd: []string{"sleep", "300"}})
	if err == nil {
		if err = r.cli.ContainerStart(ctx, id, types.ContainerStartOptions{}); err != nil {
			err = fmt.Errorf("start exec target: %w", err)
		}
	}
	if err != nil {
		r.execTargetErr = err
		return "", err
	}
	r.execTarget = id
	return id, nil
}

// execExit polls ContainerExecInspect until the process is no longer running.
func (r *runner) execExit(ctx context.Context, execID string) (int, error) {
	for {
		ins, err := r.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return 0, fmt.Errorf("exec inspect: %w", err)
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("exec inspect: still running: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runExec creates an exec in the shared container, attaches to it,
// optionally writes stdin (then half-closes), reads the whole stream and
// returns it with the exit code.
func (r *runner) runExec(ctx context.Context, cfg types.ExecConfig, stdin string) ([]byte, int, error) {
	cid, err := r.target(ctx)
	if err != nil {
		return nil, 0, err
	}
	ex, err := r.cli.ContainerExecCreate(ctx, cid, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("exec create: %w", err)
	}
	hr, err := r.cli.ContainerExecAttach(ctx, ex.ID, types.ExecStartCheck{Tty: cfg.Tty})
	if err != nil {
		return nil, 0, fmt.Errorf("exec attach: %w", err)
	}
	defer hr.Close()
	defer bound(ctx, hr.Conn)()
	if cfg.AttachStdin {
		if _, err := io.WriteString(hr.Conn, stdin); err != nil {
			return nil, 0, fmt.Errorf("write stdin: %w", err)
		}
		if err := hr.CloseWrite(); err != nil {
			return nil, 0, fmt.Errorf("close stdin: %w", err)
		}
	}
	raw, err := io.ReadAll(hr.Reader)
	if err != nil {
		return raw, 0, fmt.Errorf("read: %w", err)
	}
	code, err := r.execExit(ctx, ex.ID)
	return raw, code, err
}

func (r *runner) exec(ctx context.Context) (string, error) {
	raw, code, err := r.runExec(ctx, types.ExecConfig{
		Cmd:          []string{"sh", "-c", "echo eo; echo ee >&2; exit 4"},
		AttachStdout: true,
		AttachStderr: true,
	}, "")
	if err != nil {
		return "", err
	}
	so, se, err := demux(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("stdout=%q stderr=%q exit=%d", so, se, code), nil
}

func (r *runner) execStdin(ctx context.Context) (string, error) {
	raw, code, err := r.runExec(ctx, types.ExecConfig{
		Cmd:          []string{"cat"},
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
	}, "piped\n")
	if err != nil {
		return "", err
	}
	so, se, err := demux(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("stdout=%q stderr=%q exit=%d", so, se, code), nil
}

func (r *runner) execTTY(ctx context.Context) (string, error) {
	raw, code, err := r.runExec(ctx, types.ExecConfig{
		Cmd:          []string{"echo", "tty"},
		Tty:          true,
		AttachStdout: true,
		AttachStderr: true,
	}, "")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("output=%q exit=%d", string(raw), code), nil
}

func (r *runner) execDetach(ctx context.Context) (string, error) {
	cid, err := r.target(ctx)
	if err != nil {
		return "", err
	}
	ex, err := r.cli.ContainerExecCreate(ctx, cid, types.ExecConfig{
		Cmd:    []string{"touch", "/tmp/x"},
		Detach: true,
	})
	if err != nil {
		return "", fmt.Errorf("exec create: %w", err)
	}
	if err := r.cli.ContainerExecStart(ctx, ex.ID, types.ExecStartCheck{Detach: true}); err != nil {
		return "", fmt.Errorf("exec start: %w", err)
	}
	code, err := r.execExit(ctx, ex.ID)
	if err != nil {
		return "", err
	}
	created := "true"
	if _, err := r.cli.ContainerStatPath(ctx, cid, "/tmp/x"); err != nil {
		if !client.IsErrNotFound(err) {
			return "", fmt.Errorf("stat /tmp/x: %w", err)
		}
		created = "false"
	}
	return fmt.Sprintf("exit=%d file=%s", code, created), nil
}
