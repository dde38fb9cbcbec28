using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using ActiveGate.HotSwap.Bench.Measurement;
using ActiveGate.HotSwap.Bench.Proxy;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.HotSwap.Bench.SelfTest;

/// <summary>
/// Checks the emulated link against its settings on loopback (<c>selftest</c>): RTT within ±10 % at 50 and 300 ms,
/// a 5 Mbit/s cap within ±15 % for 1 MB, order under 32 concurrent connections, a target that is down, half-close,
/// clean shutdown, UDP delay and order, and the HTTP exchange recorder against the test CSE. About 15 s.
/// </summary>
internal static class ProxySelfTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync()
    {
        (string Name, Func<Task<string>> Run)[] tests =
        [
            ("tcp rtt 50 ms", () => RttAsync(50)),
            ("tcp rtt 300 ms", () => RttAsync(300)),
            ("tcp 5 Mbit/s cap, 1 MB", () => ThroughputAsync(5)),
            ("tcp order, 32 concurrent connections", ConcurrentOrderAsync),
            ("tcp target down", TargetDownAsync),
            ("tcp half-close", HalfCloseAsync),
            ("tcp dispose with open connections", DisposeAsync),
            ("udp delay and order", UdpAsync),
            ("udp 1 Mbit/s cap", UdpBandwidthAsync),
            ("http exchanges against the test CSE", HttpRecorderAsync),
            ("quantiles", () => Task.FromResult(AnalysisSelfTests.Quantiles())),
            ("http framing, byte by byte", () => Task.FromResult(AnalysisSelfTests.HttpFraming())),
            ("swap analysis on synthetic records", () => Task.FromResult(AnalysisSelfTests.Swaps())),
            ("coap exchanges, token pairing", () => Task.FromResult(CoapRecorderSelfTests.Pairing())),
        ];
        await WarmUpAsync();
        int failed = 0;
        foreach ((string name, Func<Task<string>> run) in tests)
        {
            try
            {
                string detail = await run().WaitAsync(s_timeout);
                Console.WriteLine($"PASS {name}: {detail}");
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"FAIL {name}: {(ex is SelfTestFailure or InvalidOperationException ? ex.Message : ex.ToString())}");
            }
        }

        Console.WriteLine($"{tests.Length - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>One exchange through a proxy first, so no measurement includes the JIT compiling the proxy (~60 ms).</summary>
    private static async Task WarmUpAsync()
    {
        await using LoopbackTcpServer echo = LoopbackTcpServer.Echo();
        await using var proxy = new LatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(1, 100));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(proxy.EndPoint);
        for (int i = 0; i < 3; i++)
        {
            await PingAsync(client, (byte)i);
        }
    }

    private static async Task<string> RttAsync(double rttMs)
    {
        await using LoopbackTcpServer echo = LoopbackTcpServer.Echo();
        await using var proxy = new LatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(rttMs));
        // The first exchange of a connection pays the modelled handshake: 2 RTT from connect() to the echo. Three
        // connections (the machine is shared, a single sample is noisy); the last one then measures steady RTTs.
        var firsts = new List<double>();
        Socket client = null!;
        for (int c = 0; c < 3; c++)
        {
            client?.Dispose();
            client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var first = Stopwatch.StartNew();
            await client.ConnectAsync(proxy.EndPoint);
            await PingAsync(client, 0);
            firsts.Add(first.Elapsed.TotalMilliseconds);
        }

        using Socket steady = client;
        double firstMs = Stats.Median(firsts);
        var samples = new List<double>();
        for (int i = 1; i <= (rttMs >= 200 ? 5 : 15); i++)
        {
            var sw = Stopwatch.StartNew();
            await PingAsync(steady, (byte)i);
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }

        double median = Stats.Median(samples);
        Check(Math.Abs(median - rttMs) <= rttMs * 0.10, $"median RTT {median:0.0} ms, want {rttMs} ± 10 %");
        Check(Math.Abs(firstMs - (2 * rttMs)) <= 2 * rttMs * 0.10, $"connect + first exchange {firstMs:0.0} ms, want 2 RTT = {2 * rttMs} ± 10 %");
        TrafficStats stats = proxy.Log.Snapshot();
        Check(stats.Exchanges == samples.Count + 3, $"{stats.Exchanges} exchanges counted, want {samples.Count + 3}");
        return Inv($"median {median:0.0} ms (min {samples.Min():0.0}, max {samples.Max():0.0}, n={samples.Count}); connect + first exchange {firstMs:0.0} ms median of 3 connections (2 RTT with the handshake); {stats.Exchanges} exchanges counted");
    }

    private static async Task PingAsync(Socket client, byte value)
    {
        await client.SendAsync(new[] { value }, SocketFlags.None);
        byte[] back = await LoopbackTcpServer.ReceiveExactlyAsync(client, 1, CancellationToken.None);
        Check(back[0] == value, "echo mismatch");
    }

    private static async Task<string> ThroughputAsync(double mbit)
    {
        const int total = 1 << 20;
        long firstAt = 0, lastAt = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sink = new LoopbackTcpServer(async (s, ct) =>
        {
            byte[] buffer = new byte[64 * 1024];
            int got = 0, n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                if (got == 0)
                {
                    firstAt = Stopwatch.GetTimestamp();
                }

                got += n;
                lastAt = Stopwatch.GetTimestamp();
            }

            done.TrySetResult();
        });
        await using var proxy = new LatencyProxy(sink.EndPoint, LatencyProxyOptions.Link(0, mbit, modelHandshake: false));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint);
        byte[] data = new byte[total];
        Random.Shared.NextBytes(data);
        long start = Stopwatch.GetTimestamp();
        await LoopbackTcpServer.SendAllAsync(client, data, CancellationToken.None);
        client.Shutdown(SocketShutdown.Send);
        await done.Task;
        double seconds = Stopwatch.GetElapsedTime(start, lastAt).TotalSeconds;
        double measured = total * 8 / seconds / 1e6;
        double spread = Stopwatch.GetElapsedTime(firstAt, lastAt).TotalSeconds;
        Check(Math.Abs(measured - mbit) <= mbit * 0.15, Inv($"{measured:0.00} Mbit/s, want {mbit} ± 15 %"));
        return Inv($"1 MiB in {seconds:0.000} s = {measured:0.00} Mbit/s (ideal {total * 8 / (mbit * 1e6):0.000} s); first to last byte at the target {spread:0.000} s");
    }

    private static async Task<string> ConcurrentOrderAsync()
    {
        const int connections = 32, bytes = 256 * 1024;
        await using LoopbackTcpServer echo = LoopbackTcpServer.Echo();
        await using var proxy = new LatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(20, 200));
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
        {
            byte[] data = new byte[bytes];
            new Random(i).NextBytes(data);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(proxy.EndPoint);
            // Written in uneven pieces while the echo is read back, so chunks of all flows interleave on the link.
            Task send = Task.Run(async () =>
            {
                for (int off = 0; off < bytes;)
                {
                    int n = Math.Min(bytes - off, 1000 + (off % 7919));
                    await LoopbackTcpServer.SendAllAsync(client, data.AsMemory(off, n), CancellationToken.None);
                    off += n;
                }

                client.Shutdown(SocketShutdown.Send);
            });
            byte[] back = await LoopbackTcpServer.ReceiveExactlyAsync(client, bytes, CancellationToken.None);
            await send;
            Check(back.AsSpan().SequenceEqual(data), $"connection {i}: bytes out of order or corrupted");
            Check(await client.ReceiveAsync(new byte[1], SocketFlags.None) == 0, $"connection {i}: no FIN after the echo");
        }));
        double seconds = sw.Elapsed.TotalSeconds;
        TrafficStats stats = proxy.Log.Snapshot();
        Check(stats.UpstreamBytes == (long)connections * bytes && stats.DownstreamBytes == (long)connections * bytes, "byte counts");
        await WaitAsync(() => proxy.OpenFlows == 0, "connections left open in the proxy");
        return Inv($"{connections} × {bytes / 1024} KiB echoed intact in {seconds:0.00} s ({(double)connections * bytes * 8 / seconds / 1e6:0} Mbit/s each way over a 200 Mbit/s link); {stats.Flows} flows, all closed");
    }

    private static async Task<string> TargetDownAsync()
    {
        await using var proxy = new LatencyProxy(LoopbackTcpServer.UnusedEndPoint(), LatencyProxyOptions.Link(100));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var sw = Stopwatch.StartNew();
        await client.ConnectAsync(proxy.EndPoint);
        string how;
        try
        {
            int n = await client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(3));
            how = n == 0 ? "end of stream" : throw new SelfTestFailure("data from a target that is down");
        }
        catch (SocketException ex)
        {
            how = ex.SocketErrorCode.ToString();
        }

        double ms = sw.Elapsed.TotalMilliseconds;
        Check(proxy.Log.Snapshot().ConnectFailures == 1, "connect failure not counted");
        Check(ms >= 90 && ms < 400, Inv($"closed after {ms:0} ms, want ≈ 1 RTT (100 ms, the modelled handshake)"));
        return Inv($"client saw {how} after {ms:0} ms (1 RTT = 100 ms); 1 connect failure counted");
    }

    private static async Task<string> HalfCloseAsync()
    {
        // The target answers only after the client's FIN: the FIN must cross the proxy after the data, and the answer
        // must still come back on the half-closed connection.
        await using var server = new LoopbackTcpServer(async (s, ct) =>
        {
            byte[] buffer = new byte[4096];
            int total = 0, n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                total += n;
            }

            await LoopbackTcpServer.SendAllAsync(s, Encoding.ASCII.GetBytes($"got {total}"), ct);
            s.Shutdown(SocketShutdown.Send);
        });
        await using var proxy = new LatencyProxy(server.EndPoint, LatencyProxyOptions.Link(50));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint);
        await LoopbackTcpServer.SendAllAsync(client, new byte[10_000], CancellationToken.None);
        client.Shutdown(SocketShutdown.Send);
        var reply = new MemoryStream();
        byte[] buffer = new byte[256];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            reply.Write(buffer, 0, n);
        }

        string text = Encoding.ASCII.GetString(reply.ToArray());
        Check(text == "got 10000", $"reply '{text}'");
        return "target saw all 10000 bytes then the FIN; its reply came back, then the FIN";
    }

    private static async Task<string> DisposeAsync()
    {
        await using LoopbackTcpServer echo = LoopbackTcpServer.Echo();
        var proxy = new LatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(50, 1));
        var clients = new List<Socket>();
        for (int i = 0; i < 10; i++)
        {
            var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await c.ConnectAsync(proxy.EndPoint);
            await c.SendAsync(new byte[100_000], SocketFlags.None); // still queued on the 1 Mbit/s link at dispose
            clients.Add(c);
        }

        await WaitAsync(() => proxy.OpenFlows == 10, "flows not open");
        var sw = Stopwatch.StartNew();
        await proxy.DisposeAsync();
        double ms = sw.Elapsed.TotalMilliseconds;
        int closed = 0;
        foreach (Socket c in clients)
        {
            try
            {
                byte[] sink = new byte[200_000];
                while (await c.ReceiveAsync(sink, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(2)) > 0)
                {
                }

                closed++;
            }
            catch (SocketException)
            {
                closed++;
            }

            c.Dispose();
        }

        Check(ms < 1000, Inv($"dispose took {ms:0} ms"));
        Check(closed == clients.Count, $"{closed} of {clients.Count} clients saw their connection end");
        return Inv($"dispose with 10 busy connections took {ms:0} ms; all 10 clients saw the connection end");
    }

    private static async Task<string> UdpAsync()
    {
        const double rttMs = 50;
        const int count = 50;
        await using var echo = new LoopbackUdpEcho();
        await using var proxy = new UdpLatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(rttMs));
        async Task<List<double>> ClientAsync(int client)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            s.Connect(proxy.EndPoint);
            long[] sentAt = new long[count];
            Task sending = Task.Run(async () =>
            {
                for (int i = 0; i < count; i++)
                {
                    sentAt[i] = Stopwatch.GetTimestamp();
                    await s.SendAsync(BitConverter.GetBytes((client * 1000) + i), SocketFlags.None);
                    await Task.Delay(2);
                }
            });
            var rtts = new List<double>();
            byte[] buffer = new byte[64];
            for (int i = 0; i < count; i++)
            {
                int n = await s.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(3));
                int value = BitConverter.ToInt32(buffer, 0);
                Check(n == 4 && value == (client * 1000) + i, $"client {client}: datagram {i} arrived as {value}");
                rtts.Add(Stopwatch.GetElapsedTime(sentAt[i]).TotalMilliseconds);
            }

            await sending;
            return rtts;
        }

        List<double>[] all = await Task.WhenAll(ClientAsync(1), ClientAsync(2));
        double median = Stats.Median(all.SelectMany(r => r));
        Check(Math.Abs(median - rttMs) <= rttMs * 0.10, Inv($"median RTT {median:0.0} ms, want {rttMs} ± 10 %"));
        TrafficStats stats = proxy.Log.Snapshot();
        Check(stats.Flows == 2 && stats.UpstreamMessages == 2 * count && stats.DownstreamMessages == 2 * count, $"counts {stats}");
        return Inv($"2 clients × {count} datagrams in order; RTT median {median:0.0} ms (min {all.SelectMany(r => r).Min():0.0}, max {all.SelectMany(r => r).Max():0.0}); 2 mappings, {stats.UpstreamMessages}/{stats.DownstreamMessages} datagrams each way");
    }

    private static async Task<string> UdpBandwidthAsync()
    {
        const int count = 100, size = 1000;
        const double mbit = 1;
        await using var echo = new LoopbackUdpEcho();
        await using var proxy = new UdpLatencyProxy(echo.EndPoint, LatencyProxyOptions.Link(0, mbit));
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Connect(proxy.EndPoint);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            await s.SendAsync(new byte[size], SocketFlags.None);
        }

        byte[] buffer = new byte[2048];
        for (int i = 0; i < count; i++)
        {
            try
            {
                await s.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                throw new SelfTestFailure($"{i} of {count} echoes received; proxy counts {proxy.Log.Snapshot()}");
            }
        }

        // Both directions are capped but pipeline: the last echo lags one datagram's serialisation behind the upstream.
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double ideal = ((count + 1) * size * 8) / (mbit * 1e6);
        Check(Math.Abs(seconds - ideal) <= ideal * 0.15, Inv($"{seconds:0.000} s, want {ideal:0.000} ± 15 %"));
        return Inv($"{count} × {size} B echoed in {seconds:0.000} s (ideal {ideal:0.000} s at {mbit} Mbit/s)");
    }

    private static async Task<string> HttpRecorderAsync()
    {
        await using TestCse cse = TestCse.Start(new TestCseOptions { DeliverNotifications = false });
        var recorder = new HttpExchangeRecorder();
        await using var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Loopback, cse.Port), LatencyProxyOptions.Link(20), recorder);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.Port}/") };
        int ri = 0;
        async Task<int> CreateAsync(string parent, int ty, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, parent) { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse($"application/json;ty={ty}");
            request.Headers.Add("X-M2M-Origin", "Cselftest");
            request.Headers.Add("X-M2M-RI", $"r{++ri}");
            request.Headers.Add("X-M2M-RVI", "3");
            request.Headers.Accept.ParseAdd("application/json");
            using HttpResponseMessage response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }

        Check(await CreateAsync("cse-in", 2, """{"m2m:ae":{"rn":"selftest","api":"Nselftest","rr":false,"srv":["3"]}}""") == 201, "AE not created");
        Check(await CreateAsync("cse-in/selftest", 3, """{"m2m:cnt":{"rn":"meas"}}""") == 201, "container not created");
        Check(await CreateAsync("cse-in/selftest/meas", 4, """{"m2m:cin":{"rn":"dev-ch1-1","cnf":"text/plain:0","con":"42"}}""") == 201, "cin not created");
        Check(await CreateAsync("cse-in/selftest/meas", 4, """{"m2m:cin":{"rn":"dev-ch1-1","cnf":"text/plain:0","con":"42"}}""") == 409, "duplicate cin not refused");
        using (HttpResponseMessage get = await http.GetAsync("cse-in/selftest/meas?rcn=1"))
        {
            // A GET without the oneM2M headers is refused, which is fine: it must still pair up.
        }

        IReadOnlyList<HttpExchange> x = recorder.Exchanges;
        Check(x.Count == 5, $"{x.Count} exchanges recorded, want 5");
        Check(x[0].ResourceType == 2 && x[1].ResourceType == 3 && x[2].ResourceType == 4 && x[2].ResourceName == "dev-ch1-1", "types or names");
        Check(x[2].Rsc == 2001 && x[2].CreatedOrExisted && x[3].Rsc == 4105 && x[3].CreatedOrExisted && x[4].Method == "GET", "rsc");
        double cinMs = (x[2].ResponseAt - x[2].RequestAt).TotalMilliseconds;
        Check(cinMs >= 9, Inv($"cin request→response {cinMs:0.0} ms, want ≥ RTT/2"));
        Check(cse.ContentsOf("cse-in/selftest/meas").Count == 1, "the CSE holds one cin");
        return Inv($"5 exchanges paired on {proxy.Log.Snapshot().Flows} connection(s): AE, cnt, cin (2001, 'dev-ch1-1'), duplicate cin (4105), GET ({x[4].Status}); cin at the CSE→response at the client {cinMs:0.0} ms (RTT/2 = 10)");
    }

    private static async Task WaitAsync(Func<bool> condition, string failure)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Check(condition(), failure);
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new SelfTestFailure(message);
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed class SelfTestFailure(string message) : Exception(message);
}
