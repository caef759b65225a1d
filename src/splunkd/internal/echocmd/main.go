// Command echocmd is a minimal streaming search command for the chunked
// protocol (SCP v2): it answers getinfo with {"type":"streaming"} and every
// execute message with {"finished":<echo>} followed by the request's body,
// byte for byte. It is the baseline for throughput benchmarks of the
// splunkd emulator.
//
// Usage:
//
//	echocmd [-required a,b,c]
//
// With -required, the getinfo reply declares those required_fields, so
// splunkd sends only them plus _chunked_idx, which the echo keeps. echocmd
// exits 0 on EOF at a message boundary and 1 on malformed input.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	growPipes(os.Stdin, os.Stdout) // the same I/O set-up as the commands it is compared with
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("echocmd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	required := fs.String("required", "", "comma-separated required_fields to declare in the getinfo reply")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	info := struct {
		Type           string   `json:"type"`
		RequiredFields []string `json:"required_fields,omitempty"`
	}{Type: "streaming"}
	if *required != "" {
		info.RequiredFields = strings.Split(*required, ",")
	}
	infoMeta, _ := json.Marshal(info)

	in := bufio.NewReaderSize(stdin, 64*1024)
	out := bufio.NewWriterSize(stdout, 64*1024)
	var meta, body []byte
	for {
		var err error
		meta, body, err = readMessage(in, meta, body)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "echocmd:", err)
			return 1
		}
		var req struct {
			Action   string `json:"action"`
			Finished bool   `json:"finished"`
		}
		if err := json.Unmarshal(meta, &req); err != nil {
			fmt.Fprintln(stderr, "echocmd: metadata:", err)
			return 1
		}
		switch req.Action {
		case "getinfo":
			writeMessage(out, infoMeta, nil)
		case "execute":
			reply := `{"finished":false}`
			if req.Finished {
				reply = `{"finished":true}`
			}
			writeMessage(out, []byte(reply), body)
		default:
			fmt.Fprintf(stderr, "echocmd: unknown action %q\n", req.Action)
			return 1
		}
		if err := out.Flush(); err != nil {
			fmt.Fprintln(stderr, "echocmd:", err)
			return 1
		}
	}
}

// readMessage reads "chunked 1.0,M,B\n" then exactly M and B bytes, reusing
// the meta and body buffers. It returns io.EOF only at a message boundary.
func readMessage(in *bufio.Reader, meta, body []byte) ([]byte, []byte, error) {
	line, err := in.ReadSlice('\n')
	if err != nil {
		if err == io.EOF && len(line) == 0 {
			return meta, body, io.EOF
		}
		return meta, body, fmt.Errorf("reading header: %w", noEOF(err))
	}
	rest, ok := strings.CutPrefix(string(line), "chunked 1.0,")
	if !ok {
		return meta, body, fmt.Errorf("bad header %q", line)
	}
	ms, bs, ok := strings.Cut(strings.TrimSuffix(rest, "\n"), ",")
	m, err1 := strconv.Atoi(ms)
	b, err2 := strconv.Atoi(bs)
	if !ok || err1 != nil || err2 != nil || m < 0 || b < 0 {
		return meta, body, fmt.Errorf("bad header %q", line)
	}
	meta = grow(meta, m)
	if _, err := io.ReadFull(in, meta); err != nil {
		return meta, body, fmt.Errorf("reading metadata: %w", noEOF(err))
	}
	body = grow(body, b)
	if _, err := io.ReadFull(in, body); err != nil {
		return meta, body, fmt.Errorf("reading body: %w", noEOF(err))
	}
	return meta, body, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// writeMessage writes one reply with byte-counted lengths.
func writeMessage(w *bufio.Writer, meta, body []byte) {
	fmt.Fprintf(w, "chunked 1.0,%d,%d\n", len(meta), len(body))
	w.Write(meta)
	w.Write(body)
}
