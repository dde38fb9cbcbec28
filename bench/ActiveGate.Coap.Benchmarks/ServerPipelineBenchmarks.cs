using System.Buffers.Binary;
using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport;
using BenchmarkDotNet.Attributes;

namespace ActiveGate.Coap.Benchmarks;

/// <summary>
/// The managed part of serving one CON GET (parse, deduplicate, route, handle, encode, hand to the
/// transport) without system calls: the datagram is fed straight into the endpoint and the
/// transport discards the response.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes through [GlobalCleanup].
public class ServerPipelineBenchmarks
#pragma warning restore CA1001
{
    private readonly IPEndPoint _client = new(IPAddress.Loopback, 40000);
    private CoapServer _server = null!;
    private byte[] _request = null!;
    private ushort _messageId;

    [GlobalSetup]
    public void Setup()
    {
        _server = new CoapServer(new DiscardTransport(), new CoapServerOptions { Endpoint = new CoapEndpointOptions { MaxDeduplicationEntries = 4096 } });
        _server.Root.Add(new BenchResource("0123456789abcdef"u8.ToArray()));
        _server.StartAsync().GetAwaiter().GetResult();
        var get = CoapMessage.CreateRequest(CoapCode.Get);
        get.Token = CoapToken.FromBytes([1, 2, 3, 4]);
        get.UriPath = "/bench";
        _request = CoapMessageCodec.Encode(get);
    }

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public void ServeGet()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_request.AsSpan(2), _messageId++);
        _server.Endpoint.ProcessDatagram(_request, _client);
    }

    private sealed class DiscardTransport : IDatagramTransport
    {
        public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 5683);

        public int MaxDatagramSize => 1152;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken) => default;

        public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return default;
        }

        public ValueTask DisposeAsync() => default;
    }
}
