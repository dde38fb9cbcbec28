using System.Net;

namespace ActiveGate.Coap.Transport;

/// <summary>
/// Moves whole datagrams to and from peers. UDP sockets, DTLS sessions, the 6LoWPAN mesh and
/// in-memory test links all implement it, so the CoAP stack above never sees a socket.
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The local address datagrams are received on.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Largest datagram payload the transport carries without loss (path MTU minus headers).</summary>
    int MaxDatagramSize { get; }

    /// <summary>Sends one datagram. Completes when the transport has taken the bytes.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken);

    /// <summary>Receives one datagram into <paramref name="buffer"/>; oversized datagrams are truncated and flagged.</summary>
    ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IDatagramTransport.ReceiveAsync"/> received.</summary>
/// <param name="Length">Bytes written to the buffer.</param>
/// <param name="Remote">The sender.</param>
/// <param name="Truncated">True when the datagram did not fit the buffer.</param>
public readonly record struct DatagramReceiveResult(int Length, EndPoint Remote, bool Truncated = false);
