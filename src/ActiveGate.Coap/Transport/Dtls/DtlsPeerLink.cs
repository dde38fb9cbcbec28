using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// The raw-datagram side of one DTLS peer, as BouncyCastle's record layer sees it: sends go straight
/// out of the shared UDP socket to the peer; receives come from a queue the transport's single
/// socket reader fills. While handshaking, receives block (on the handshake thread) until a flight
/// arrives; once established the link is non-blocking, so the socket reader can decrypt in place.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim without AvailableWaitHandle holds no unmanaged resource; disposing it under a waiting handshake thread would race.")]
internal sealed class DtlsPeerLink : DatagramTransport
{
    private const int MaxQueuedDatagrams = 64;
    private const int KeyMismatchRecordThreshold = 3;

    private readonly Socket _socket;
    private readonly int _recordLimit;
    private readonly ConcurrentQueue<byte[]> _incoming = new();
    private readonly SemaphoreSlim _available = new(0);
    private volatile bool _closed;
    private volatile bool _nonBlocking;
    private int _encryptedRecordsWhileHandshaking;

    public DtlsPeerLink(Socket socket, IPEndPoint remote, int recordLimit)
    {
        _socket = socket;
        Remote = remote;
        _recordLimit = recordLimit;
    }

    public IPEndPoint Remote { get; }

    public bool IsClosed => _closed;

    public bool HasQueuedDatagrams => !_incoming.IsEmpty;

    /// <summary>
    /// Encrypted (epoch ≥ 1) records the peer sent while our handshake was still running. The peer
    /// only sends those after its ChangeCipherSpec; when several arrive and none completes the
    /// handshake, our record layer is silently discarding them: the keys differ.
    /// </summary>
    public int EncryptedRecordsWhileHandshaking => Volatile.Read(ref _encryptedRecordsWhileHandshaking);

    /// <summary>Set once the handshake completes: receives then never wait.</summary>
    public void SwitchToNonBlocking() => _nonBlocking = true;

    /// <summary>Queues a datagram from the peer; drops it when the peer floods us.</summary>
    public bool Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || _incoming.Count >= MaxQueuedDatagrams)
        {
            return false;
        }

        if (!_nonBlocking)
        {
            int encrypted = DtlsRecordHeader.CountEncryptedRecords(datagram);
            if (encrypted > 0)
            {
                Interlocked.Add(ref _encryptedRecordsWhileHandshaking, encrypted);
            }
        }

        _incoming.Enqueue(datagram.ToArray());
        _available.Release();
        return true;
    }

    public int GetReceiveLimit() => _recordLimit;

    public int GetSendLimit() => _recordLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        // BouncyCastle passes 0 for "no limit"; the handshake's own timeout still bounds it because
        // the record layer constrains waits by the handshake deadline.
        long deadline = waitMillis > 0 ? Environment.TickCount64 + waitMillis : long.MaxValue;
        while (true)
        {
            if (_incoming.TryDequeue(out byte[]? datagram))
            {
                int length = Math.Min(datagram.Length, buffer.Length);
                datagram.AsSpan(0, length).CopyTo(buffer);
                return length;
            }

            if (!_nonBlocking && EncryptedRecordsWhileHandshaking >= KeyMismatchRecordThreshold)
            {
                // The peer sent its Finished three times (original plus retransmissions) and none
                // authenticated: waiting out the handshake timeout would only hide a wrong key.
                // decrypt_error tells the peer why (RFC 5246 §7.2.2: handshake cryptographic failure).
                throw new TlsFatalAlert(AlertDescription.decrypt_error, new DtlsKeyMismatchException());
            }

            if (_closed)
            {
                // Unwinds a blocked handshake at once instead of letting it run into its timeout.
                throw new DtlsLinkClosedException();
            }

            if (_nonBlocking)
            {
                return -1;
            }

            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return -1;
            }

            _available.Wait((int)Math.Min(remaining, int.MaxValue));
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed)
        {
            return;
        }

        try
        {
            _socket.SendTo(buffer, SocketFlags.None, Remote);
        }
        catch (ObjectDisposedException)
        {
            // The transport is shutting down; the datagram is lost like any other UDP datagram.
        }
        catch (SocketException)
        {
            // Unreachable peers and full buffers lose datagrams; DTLS retransmission covers handshakes.
        }
    }

    public void Close()
    {
        _closed = true;
        _available.Release();
    }
}

/// <summary>Thrown into a blocked handshake when its link is closed (dispose or session replacement).</summary>
internal sealed class DtlsLinkClosedException : IOException
{
    public DtlsLinkClosedException()
        : base("The DTLS link was closed.")
    {
    }
}

/// <summary>Thrown into a handshake whose peer keeps sending encrypted records we cannot authenticate.</summary>
internal sealed class DtlsKeyMismatchException : IOException
{
    public DtlsKeyMismatchException()
        : base("The peer's encrypted handshake records do not authenticate with our key.")
    {
    }
}
