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
/// transport discards the response. <see cref="ServeGetBatched"/> does the same through the
/// batched receive path (a batch of 16 per call, replies queued and flushed as with recvmmsg/sendmmsg).
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
    private FakeBatch _batch = null!;

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
        _batch = new FakeBatch(_request, _client, BatchSize);
    }

    private const int BatchSize = 16;

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public void ServeGet()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_request.AsSpan(2), _messageId++);
        _server.Endpoint.ProcessDatagram(_request, _client);
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public void ServeGetBatched()
    {
        _batch.Refill(ref _messageId);
        _server.Endpoint.ProcessBatch(_batch, BatchSize);
    }

    /// <summary>A batch that "receives" the same GET with fresh message IDs and discards the queued replies.</summary>
    private sealed class FakeBatch(byte[] request, EndPoint client, int capacity) : IDatagramBatch
    {
        private readonly byte[][] _datagrams = Enumerable.Range(0, capacity).Select(_ => (byte[])request.Clone()).ToArray();

        public int Capacity => capacity;

        public void Refill(ref ushort messageId)
        {
            foreach (byte[] datagram in _datagrams)
            {
                BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), messageId++);
            }
        }

        public int Receive(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ReadOnlySpan<byte> GetReceived(int index, out EndPoint remote, out bool truncated)
        {
            remote = client;
            truncated = false;
            return _datagrams[index];
        }

        public bool TryQueueSend(ReadOnlySpan<byte> datagram, EndPoint remote) => true;

        public int Flush() => 0;

        public void Dispose()
        {
        }
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
