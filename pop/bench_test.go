package pop_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkLaunchVsRaw compares the core's Create+Start (which creates,
// connects, starts and inspects on Docker and records the state) with the
// raw Docker API doing create+start+inspect of the same image on the same
// network with a fixed IP. Runs alternate so both see the same machine.
func BenchmarkLaunchVsRaw(b *testing.B) {
	e := newBenchEnv(b)
	c, err := pop.Open(b.Context(), e.cfg, e.b)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := b.Context()
	nets, _ := c.Networks(ctx, pop.ByName(e.cfg.DefaultNetwork))
	netID := nets[0].ID
	var core, raw []time.Duration
	runs := max(b.N, 30)
	b.ResetTimer()
	for i := range runs {
		// Core.
		name := fmt.Sprintf("bc%03d-%s", i, e.popName)
		t0 := time.Now()
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: name, Image: testenv.BusyboxImage})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Start(ctx, pop.ByID(ct.ID)); err != nil {
			b.Fatal(err)
		}
		core = append(core, time.Since(t0))
		// Raw Docker, same image, same network, fixed IP like the core's.
		rname := fmt.Sprintf("br%03d-%s", i, e.popName)
		ip := fmt.Sprintf("%s%d", nets[0].Subnet[:len(nets[0].Subnet)-4], 200+i%50)
		t0 = time.Now()
		cr, err := e.raw.ContainerCreate(ctx, &container.Config{Image: testenv.BusyboxImage, Hostname: rname},
			&container.HostConfig{}, &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
				netID: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}}}}, nil, rname)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.raw.ContainerStart(ctx, cr.ID, container.StartOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.raw.ContainerInspect(ctx, cr.ID); err != nil {
			b.Fatal(err)
		}
		raw = append(raw, time.Since(t0))
		b.StopTimer()
		c.Delete(ctx, pop.ByID(ct.ID))
		e.raw.ContainerRemove(ctx, cr.ID, container.RemoveOptions{Force: true})
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(core, 0.5)), "core-p50-ms")
	b.ReportMetric(ms(percentile(raw, 0.5)), "raw-p50-ms")
	b.ReportMetric(float64(percentile(core, 0.5))/float64(percentile(raw, 0.5)), "ratio-p50")
	b.ReportMetric(float64(percentile(core, 0.95))/float64(percentile(raw, 0.95)), "ratio-p95")
}

// BenchmarkExitDetection kills containers from outside and measures the
// time until the Pop records their final state.
func BenchmarkExitDetection(b *testing.B) {
	e := newBenchEnv(b)
	c, err := pop.Open(b.Context(), e.cfg, e.b)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := b.Context()
	var lat []time.Duration
	runs := max(b.N, 20)
	for i := range runs {
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: fmt.Sprintf("ex%03d-%s", i, e.popName), Image: testenv.BusyboxImage})
		if err != nil {
			b.Fatal(err)
		}
		ct, err = c.Start(ctx, pop.ByID(ct.ID))
		if err != nil {
			b.Fatal(err)
		}
		if err := e.raw.ContainerKill(ctx, ct.DockerID, "KILL"); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for {
			cs, _ := c.Containers(ctx, pop.ByID(ct.ID))
			if cs[0].State == pop.StateFailed || cs[0].State == pop.StateExited {
				break
			}
			if time.Since(t0) > 30*time.Second {
				b.Fatal("death not seen in 30 s")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
		c.Delete(ctx, pop.ByID(ct.ID))
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "detect-p50-ms")
	b.ReportMetric(ms(percentile(lat, 1)), "detect-max-ms")
}
