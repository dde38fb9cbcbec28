using System.Net;
using Org.BouncyCastle.Tls;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// One peer's DTLS association: the link that feeds BouncyCastle's record layer and, once the
/// handshake completes, the record layer itself. <see cref="Gate"/> serialises all record-layer
/// calls (BouncyCastle's DtlsTransport is not thread-safe for concurrent send and receive state).
/// </summary>
internal sealed class DtlsSession
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DtlsTransport? _transport;

    public DtlsSession(DtlsPeerLink link, long createdTimestamp)
    {
        Link = link;
        LastReceiveTimestamp = createdTimestamp;
        LastActivityTimestamp = createdTimestamp;
    }

    public object Gate { get; } = new();

    public DtlsPeerLink Link { get; }

    public IPEndPoint Remote => Link.Remote;

    /// <summary>Completes when the handshake succeeded; faults with <see cref="DtlsHandshakeException"/> otherwise.</summary>
    public Task Ready => _ready.Task;

    public DtlsTransport? Transport => Volatile.Read(ref _transport);

    public bool IsEstablished => Transport is not null;

    /// <summary>The peer's PSK identity, for logs (server side).</summary>
    public string? PeerIdentity { get; set; }

    public int CipherSuite { get; set; }

    // Timestamps from the transport's TimeProvider; touched under Gate.
    public long LastReceiveTimestamp { get; set; }

    public long LastActivityTimestamp { get; set; }

    public int UnansweredSends { get; set; }

    public long FirstUnansweredTimestamp { get; set; }

    public long LastSendTimestamp { get; set; }

    /// <summary>Set when a plaintext alert arrived over an established session: the peer lost our session state.</summary>
    public bool PeerLostSession { get; set; }

    public void Establish(DtlsTransport transport)
    {
        Link.SwitchToNonBlocking();
        Volatile.Write(ref _transport, transport);
    }

    public void MarkReady() => _ready.TrySetResult();

    public void Fail(Exception exception)
    {
        // Nobody may be awaiting (server side); observe the exception so it never goes unobserved.
        if (_ready.TrySetException(exception))
        {
            _ = _ready.Task.Exception;
        }
    }

    /// <summary>Closes the association; sends close_notify when established and <paramref name="notifyPeer"/>.</summary>
    public void Close(bool notifyPeer)
    {
        lock (Gate)
        {
            DtlsTransport? transport = Transport;
            if (transport is not null && notifyPeer && !Link.IsClosed)
            {
                try
                {
                    transport.Close();
                }
                catch (IOException)
                {
                    // Best effort: the peer may already be gone.
                }
            }

            Link.Close();
        }

        Fail(new DtlsHandshakeException(Remote, DtlsFailureReason.Canceled, $"The DTLS session with {Remote} was closed."));
    }
}
