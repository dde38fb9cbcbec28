using System.Net;

namespace ActiveGate.Coap.Transport;

/// <summary>
/// Optional capability of an <see cref="IDatagramTransport"/>: moving several datagrams per system
/// call (Linux recvmmsg/sendmmsg). The endpoint's receive loop uses it when offered; everything
/// else (sends from timers, notifications, other threads) still goes through <see cref="IDatagramTransport"/>.
/// </summary>
public interface IDatagramBatchTransport : IDatagramTransport
{
    /// <summary>
    /// Creates the buffers for one receive loop, or returns null when batching is not available
    /// (other platform, asynchronous receive mode); the caller then uses <see cref="IDatagramTransport.ReceiveAsync"/>.
    /// </summary>
    /// <param name="capacity">Datagrams per batch in each direction.</param>
    /// <param name="maxDatagramLength">Receive buffer per datagram; longer datagrams are truncated and flagged.</param>
    IDatagramBatch? CreateBatch(int capacity, int maxDatagramLength);
}

/// <summary>
/// One receive loop's batch: datagrams taken from the transport together, and replies queued to
/// be handed to the transport together. Not thread-safe; owned by one loop.
/// </summary>
public interface IDatagramBatch : IDisposable
{
    /// <summary>Datagrams per batch in each direction.</summary>
    int Capacity { get; }

    /// <summary>
    /// Blocks until at least one datagram is there, then takes every queued one up to <see cref="Capacity"/>.
    /// Returns how many; they stay readable through <see cref="GetReceived"/> until the next call.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (noticed within a fraction of a second).</exception>
    int Receive(CancellationToken cancellationToken);

    /// <summary>The <paramref name="index"/>-th datagram of the last <see cref="Receive"/>.</summary>
    ReadOnlySpan<byte> GetReceived(int index, out EndPoint remote, out bool truncated);

    /// <summary>
    /// Copies a datagram into the send queue (flushing first when it is full). Returns false when it
    /// cannot be queued (too long, unusual address); then send it with <see cref="IDatagramTransport.SendAsync"/>.
    /// </summary>
    bool TryQueueSend(ReadOnlySpan<byte> datagram, EndPoint remote);

    /// <summary>Hands every queued datagram to the transport; returns how many were refused (lost, as UDP may lose them).</summary>
    int Flush();
}
