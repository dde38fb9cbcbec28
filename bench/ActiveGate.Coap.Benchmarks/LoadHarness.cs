using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Coap.Benchmarks;

/// <summary>
/// Load generator: many outstanding CON GETs on loopback against one URI, spread over several
/// client endpoints (each a UDP socket) so that message IDs are not reused within EXCHANGE_LIFETIME.
/// Prints requests/s of completed 2.05 exchanges. By default the lean <see cref="RawLoadGenerator"/>
/// drives the load; with --client stack the requests go through our own <see cref="CoapEndpoint"/>.
/// </summary>
internal static class LoadHarness
{
    public static async Task<int> RunAsync(Uri uri, TimeSpan duration, int concurrency, int endpoints, bool useStack, TimeSpan warmup)
    {
        IPEndPoint target = await CoapUri.ResolveAsync(uri);
        if (!useStack)
        {
            int window = Math.Max(1, concurrency / endpoints);
            if (warmup > TimeSpan.Zero)
            {
                RawLoadGenerator.Run(uri, target, warmup, endpoints, window);
            }

            (long ok, long bad, TimeSpan took) = RawLoadGenerator.Run(uri, target, duration, endpoints, window);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target={uri} client=raw concurrency={window * endpoints} sockets={endpoints} completed={ok} failed={bad} seconds={took.TotalSeconds:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests/s: {ok / took.TotalSeconds:0}"));
            return 0;
        }

        int perEndpoint = Math.Max(1, concurrency / endpoints);
        var parameters = CoapTransmissionParameters.Default with { NStart = perEndpoint };
        var clients = new List<CoapEndpoint>();
        for (int i = 0; i < endpoints; i++)
        {
            var endpoint = new CoapEndpoint(
                new UdpDatagramTransport(new IPEndPoint(target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0)),
                new CoapEndpointOptions { TransmissionParameters = parameters, MaxDeduplicationEntries = 1024 });
            endpoint.Start();
            clients.Add(endpoint);
        }

        var template = CoapMessage.CreateRequest(CoapCode.Get);
        CoapUri.ApplyTo(uri, template);

        // Warm-up (JIT, ARP-free loopback path, server caches).
        if (warmup > TimeSpan.Zero)
        {
            await RunPhaseAsync(clients, template, target, warmup, perEndpoint);
        }

        (long completed, long failed, TimeSpan elapsed) = await RunPhaseAsync(clients, template, target, duration, perEndpoint);

        double rate = completed / elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target={uri} client=stack concurrency={perEndpoint * endpoints} endpoints={endpoints} completed={completed} failed={failed} seconds={elapsed.TotalSeconds:0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests/s: {rate:0}"));
        foreach (CoapEndpoint client in clients)
        {
            await client.DisposeAsync();
        }

        return 0;
    }

    private static async Task<(long Completed, long Failed, TimeSpan Elapsed)> RunPhaseAsync(List<CoapEndpoint> clients, CoapMessage template, EndPoint target, TimeSpan duration, int perEndpoint)
    {
        long completed = 0;
        long failed = 0;
        using var stop = new CancellationTokenSource(duration);
        var stopwatch = Stopwatch.StartNew();
        var workers = new List<Task>();
        foreach (CoapEndpoint client in clients)
        {
            for (int i = 0; i < perEndpoint; i++)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        CoapMessage request = template.Clone();
                        try
                        {
                            CoapMessage response = await client.SendRequestAsync(request, target, stop.Token).ConfigureAwait(false);
                            if (response.Code == CoapCode.Content)
                            {
                                Interlocked.Increment(ref completed);
                            }
                            else
                            {
                                Interlocked.Increment(ref failed);
                            }
                        }
                        catch (Exception ex) when (ex is OperationCanceledException or CoapException)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                }));
            }
        }

        await Task.WhenAll(workers);
        return (completed, failed, stopwatch.Elapsed);
    }
}
