package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"switchboard/internal/router"
)

// passTel is a Telephony with call controls whose every request panics (nil inside).
type passTel struct {
	router.Telephony
	router.ChannelControls
}

// A router that no longer leads sends no request that acts, call controls included; reads pass.
func TestLeaderTelFencesEveryActingRequest(t *testing.T) {
	reads := map[string]bool{"Var": true, "AppState": true, "Channels": true, "BridgeChannels": true,
		"ListBridges": true, "FetchRecording": true, "StoredRecordings": true}
	tel := newLeaderTel(passTel{}, func() bool { return false }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, ok := tel.(router.ChannelControls); !ok {
		t.Fatal("the fenced adapter lost the call controls")
	}
	v := reflect.ValueOf(tel)
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	checked := 0
	for i := 0; i < v.NumMethod(); i++ {
		m, name := v.Method(i), v.Type().Method(i).Name
		if reads[name] || m.Type().NumIn() == 0 || m.Type().In(0) != ctxType {
			continue
		}
		args := []reflect.Value{reflect.ValueOf(context.Background())}
		for j := 1; j < m.Type().NumIn(); j++ {
			args = append(args, reflect.Zero(m.Type().In(j)))
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s reached Asterisk while not leading (%v)", name, p)
				}
			}()
			call := m.Call
			if m.Type().IsVariadic() {
				call = m.CallSlice
			}
			out := call(args)
			err, _ := out[len(out)-1].Interface().(error)
			if !errors.Is(err, errNotLeader) {
				t.Errorf("%s answered %v while not leading", name, err)
			}
		}()
		checked++
	}
	if checked < 20 {
		t.Fatalf("checked only %d requests", checked)
	}
}
