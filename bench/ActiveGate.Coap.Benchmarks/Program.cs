using System.Globalization;
using System.Net;
using System.Text;
using ActiveGate.Coap.Benchmarks;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.Udp;
using BenchmarkDotNet.Running;

// Modes:
//   codec [BenchmarkDotNet args]                 BenchmarkDotNet on the codec (ns/op, bytes allocated)
//   serve --port P [--payload TEXT] [--receive-loops N]   our CoapServer on 127.0.0.1:P with GET/PUT /bench
//   free-port                                    prints a free UDP port on 127.0.0.1
//   load --uri URI [--seconds S] [--concurrency C] [--endpoints E] [--client raw|stack] [--warmup S]   CON GET load, prints requests/s
string mode = args.Length > 0 ? args[0] : "codec";
string Option(string name, string fallback)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

switch (mode)
{
    case "codec":
        BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args.Skip(1).ToArray());
        return 0;

    case "serve":
    {
        int port = int.Parse(Option("--port", "5683"), CultureInfo.InvariantCulture);
        byte[] payload = Encoding.UTF8.GetBytes(Option("--payload", "0123456789abcdef"));
        int loops = int.Parse(Option("--receive-loops", "1"), CultureInfo.InvariantCulture);
        await using var server = new CoapServer(
            new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, port)),
            new CoapServerOptions { Endpoint = new ActiveGate.Coap.Stack.CoapEndpointOptions { ReceiveConcurrency = loops } });
        server.Root.Add(new BenchResource(payload));
        await server.StartAsync();
        Console.WriteLine($"serving coap://127.0.0.1:{port}/bench");
        var done = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => done.TrySetResult();
        await done.Task;
        return 0;
    }

    case "free-port":
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Console.WriteLine(((IPEndPoint)probe.LocalEndPoint!).Port);
        return 0;
    }

    case "load":
        return await LoadHarness.RunAsync(
            new Uri(Option("--uri", "coap://127.0.0.1:5683/bench")),
            TimeSpan.FromSeconds(double.Parse(Option("--seconds", "5"), CultureInfo.InvariantCulture)),
            int.Parse(Option("--concurrency", "64"), CultureInfo.InvariantCulture),
            int.Parse(Option("--endpoints", "4"), CultureInfo.InvariantCulture),
            useStack: Option("--client", "raw") == "stack",
            warmup: TimeSpan.FromSeconds(double.Parse(Option("--warmup", "1"), CultureInfo.InvariantCulture)));

    default:
        Console.Error.WriteLine("usage: codec | serve --port P [--payload TEXT] | load --uri URI [--seconds S] [--concurrency C] [--endpoints E]");
        return 2;
}

/// <summary>The benchmark resource: a fixed text/plain payload, replaceable by PUT (like libcoap's dynamic resources).</summary>
internal sealed class BenchResource(byte[] payload) : CoapResource("bench")
{
    private byte[] _payload = payload;

    public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new CoapResponse(CoapCode.Content, _payload, CoapContentFormat.TextPlain));

    public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken)
    {
        _payload = request.Payload.ToArray();
        return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
    }
}
