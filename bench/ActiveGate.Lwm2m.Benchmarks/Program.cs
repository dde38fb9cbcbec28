using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.Udp;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Registration;

// LwM2M client benchmark (issue 7): on loopback, one LwM2M server (ours, built on CoapServer)
// measures, for our client and optionally a peer client (--peer PATH, e.g. Wakaama's lwm2mclient):
//   start-to-registered  process start → Register received by the server
//   update-trigger RT    the server executes /1/0/8 and times until the client's Update arrives
//                        (the registration exchange as the server can observe it, for any client)
//   register RT          our client-side POST /rd → 2.01 (not observable for a peer)
//   read RT              GET /3/0 → 2.05 as the server sees it, SenML JSON and TLV, N reads each
// Usage: ActiveGate.Lwm2m.Benchmarks [--peer PATH] [--reads 1000] [--json FILE]
//        ActiveGate.Lwm2m.Benchmarks --child-client coap://127.0.0.1:PORT   (internal: our client in its own process)

if (args.Length >= 2 && args[0] == "--child-client")
{
    var phases = Stopwatch.StartNew();
    await using var child = new Lwm2mClient(new Lwm2mClientOptions { Endpoint = "bench-activegate", ServerUri = new Uri(args[1]), LifetimeSeconds = 300, WatchAddressChanges = false });
    var constructed = phases.Elapsed;
    child.StatusChanged += (_, s) => Console.Error.WriteLine($"phase {s.State} at {phases.Elapsed.TotalMilliseconds:0} ms (process {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:0} ms)");
    await child.StartAsync();
    Console.Error.WriteLine($"phase constructed {constructed.TotalMilliseconds:0} ms, started {phases.Elapsed.TotalMilliseconds:0} ms");
    await Console.In.ReadLineAsync();   // the parent closes stdin to stop us
    return 0;
}

string? peer = null;
int reads = 1000;
string? jsonPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--peer":
            peer = args[++i];
            break;
        case "--reads":
            reads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--json":
            jsonPath = args[++i];
            break;
    }
}

await using var server = new BenchServer();
var results = new List<Result>();
results.AddRange(await BenchClientAsync(server, "activegate", [Environment.ProcessPath!, "--child-client", server.Uri.ToString()], "bench-activegate", reads));
results.Add(await BenchInProcessRegisterAsync(server, 200));
if (peer is not null)
{
    results.AddRange(await BenchClientAsync(server, "peer", [peer, "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-n", "bench-peer", "-4"], "bench-peer", reads));
}

Console.WriteLine();
Console.WriteLine($"{"client",-12} {"measure",-34} {"median ms",10} {"p99 ms",10} {"n",6}");
foreach (var r in results)
{
    Console.WriteLine($"{r.Client,-12} {r.Measure,-34} {r.MedianMs,10:0.000} {r.P99Ms,10:0.000} {r.Count,6}");
}

if (peer is not null)
{
    foreach (var measure in results.Where(r => r.Client == "peer").Select(r => r.Measure))
    {
        var ours = results.FirstOrDefault(r => r.Client == "activegate" && r.Measure == measure);
        var theirs = results.First(r => r.Client == "peer" && r.Measure == measure);
        if (ours is not null && theirs.MedianMs > 0)
        {
            Console.WriteLine($"ratio ours/peer {measure}: {ours.MedianMs / theirs.MedianMs:0.00}");
        }
    }
}

if (jsonPath is not null)
{
    await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
}

return 0;

static async Task<List<Result>> BenchClientAsync(BenchServer server, string name, string[] command, string endpoint, int reads)
{
    var results = new List<Result>();
    var start = new ProcessStartInfo(command[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in command.Skip(1))
    {
        start.ArgumentList.Add(a);
    }

    server.Reset();
    long t0 = Stopwatch.GetTimestamp();
    using var process = Process.Start(start)!;
    _ = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    try
    {
        var registration = await server.WaitForRegisterAsync(endpoint, TimeSpan.FromSeconds(30));
        results.Add(new Result(name, "start-to-registered", Stopwatch.GetElapsedTime(t0, registration.ReceivedAt).TotalMilliseconds, double.NaN, 1));
        await Task.Delay(200);   // let the client settle after its 2.01
        foreach (var (format, label) in new[] { (Lwm2mContentFormat.SenmlJson, "read /3/0 SenML JSON"), (Lwm2mContentFormat.Tlv, "read /3/0 TLV") })
        {
            var samples = new List<double>(reads);
            for (int i = 0; i < 50; i++)
            {
                await server.ReadAsync(registration.Remote, format);   // warm-up
            }

            for (int i = 0; i < reads; i++)
            {
                long s = Stopwatch.GetTimestamp();
                var response = await server.ReadAsync(registration.Remote, format);
                samples.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
                if (response.Code != CoapCode.Content)
                {
                    throw new InvalidOperationException($"{name}: read answered {response.Code}");
                }
            }

            results.Add(Result.From(name, label, samples));
        }

        // Registration Update Trigger round trip as the server sees it: POST /1/0/8 → Update at /rd/{id}.
        var updates = new List<double>();
        for (int i = 0; i < 60; i++)
        {
            server.ResetUpdates();
            long s = Stopwatch.GetTimestamp();
            var executed = await server.ExecuteAsync(registration.Remote, "/1/0/8");
            if (executed.Code != CoapCode.Changed || !await server.WaitForUpdateAsync(TimeSpan.FromSeconds(5)))
            {
                break;
            }

            if (i >= 10)
            {
                updates.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
            }
        }

        if (updates.Count > 0)
        {
            results.Add(Result.From(name, "update-trigger RT (/1/0/8 → Update)", updates));
        }
    }
    finally
    {
        process.StandardInput.Close();
        if (!process.WaitForExit(3000))
        {
            process.Kill();
        }

        if (Environment.GetEnvironmentVariable("LWM2M_BENCH_VERBOSE") == "1")
        {
            Console.Error.WriteLine(await stderr);
        }
    }

    return results;
}

static async Task<Result> BenchInProcessRegisterAsync(BenchServer server, int count)
{
    // Client-side Register round trip (POST /rd → 2.01) with our CoAP client and our payload.
    await using var client = new CoapClient();
    var samples = new List<double>(count);
    byte[] payload = "</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.2,</1/0>,</3>;ver=1.2,</3/0>,</4>;ver=1.3,</4/0>"u8.ToArray();
    for (int i = 0; i < count + 20; i++)
    {
        var request = new CoapRequest(CoapCode.Post, new Uri(server.Uri, "/rd?ep=bench-rt&lt=300&lwm2m=1.1&b=U")) { Payload = payload, ContentFormat = 40 };
        long s = Stopwatch.GetTimestamp();
        var response = await client.SendAsync(request);
        double ms = Stopwatch.GetElapsedTime(s).TotalMilliseconds;
        if (i >= 20)
        {
            samples.Add(ms);
        }

        if (response.Code != CoapCode.Created)
        {
            throw new InvalidOperationException("register answered " + response.Code);
        }
    }

    return Result.From("activegate", "register RT (client side)", samples);
}

internal sealed record Result(string Client, string Measure, double MedianMs, double P99Ms, int Count)
{
    public static Result From(string client, string measure, List<double> samples)
    {
        samples.Sort();
        return new Result(client, measure, samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(samples.Count * 0.99) - 1)], samples.Count);
    }
}

internal sealed record Registration(string Endpoint, EndPoint Remote, long ReceivedAt);

/// <summary>A minimal LwM2M server: accepts Register/Update/De-register and reads from registered clients.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly CoapServer _server;
    private readonly CoapClient _client;
    private Channel<Registration> _registrations = Channel.CreateUnbounded<Registration>();

    public BenchServer()
    {
        _server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)));
        _server.Root.Add(new RdResource(this));
        _server.StartAsync().GetAwaiter().GetResult();
        _client = new CoapClient(_server.Endpoint);
    }

    public int Port => ((IPEndPoint)_server.LocalEndPoint).Port;

    public Uri Uri => new($"coap://127.0.0.1:{Port}");

    private Channel<long> _updates = Channel.CreateUnbounded<long>();

    public void Reset() => _registrations = Channel.CreateUnbounded<Registration>();

    public void ResetUpdates() => _updates = Channel.CreateUnbounded<long>();

    public async Task<bool> WaitForUpdateAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _updates.Reader.ReadAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public Task<CoapResponse> ExecuteAsync(EndPoint client, string path)
    {
        var ip = (IPEndPoint)client;
        string host = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4().ToString() : ip.Address.ToString();
        return _client.SendAsync(new CoapRequest(CoapCode.Post, new Uri($"coap://{host}:{ip.Port}{path}")));
    }

    public async Task<Registration> WaitForRegisterAsync(string endpoint, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var r = await _registrations.Reader.ReadAsync(cts.Token);
            if (r.Endpoint == endpoint)
            {
                return r;
            }
        }
    }

    public Task<CoapResponse> ReadAsync(EndPoint client, ushort accept)
    {
        var ip = (IPEndPoint)client;
        string host = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4().ToString() : ip.Address.ToString();
        return _client.SendAsync(new CoapRequest(CoapCode.Get, new Uri($"coap://{host}:{ip.Port}/3/0")) { Accept = accept });
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private sealed class RdResource : CoapResource
    {
        private readonly BenchServer _owner;
        private int _next;

        public RdResource(BenchServer owner)
            : base("rd")
        {
            _owner = owner;
            HandlesSubPaths = true;
        }

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (request.RemainingPath.Count > 0)
            {
                _owner._updates.Writer.TryWrite(Stopwatch.GetTimestamp());
                return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
            }

            long now = Stopwatch.GetTimestamp();
            string endpoint = request.Query.FirstOrDefault(q => q.StartsWith("ep=", StringComparison.Ordinal))?[3..] ?? "?";
            _owner._registrations.Writer.TryWrite(new Registration(endpoint, request.Remote, now));
            var response = new CoapResponse(CoapCode.Created);
            response.Options.Add(CoapOptionNumber.LocationPath, "rd");
            response.Options.Add(CoapOptionNumber.LocationPath, Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture));
            return ValueTask.FromResult(response);
        }

        public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CoapResponse(CoapCode.Deleted));
    }
}
