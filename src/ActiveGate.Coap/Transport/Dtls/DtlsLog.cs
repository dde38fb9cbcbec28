using System.Net;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>Source-generated log messages of the DTLS transports. None of them takes key material.</summary>
internal static partial class DtlsLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "DTLS session with {Remote} established for identity '{Identity}' ({CipherSuite}, resumed: {Resumed})")]
    public static partial void SessionEstablished(ILogger logger, IPEndPoint remote, string? identity, DtlsPskCipherSuite cipherSuite, bool resumed);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "DTLS handshake with {Remote} failed: {Reason}: {Detail}")]
    public static partial void HandshakeFailed(ILogger logger, IPEndPoint remote, DtlsFailureReason reason, string detail);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "DTLS handshake with {Remote} canceled")]
    public static partial void HandshakeCanceled(ILogger logger, IPEndPoint remote);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "DTLS session with {Remote} looks lost ({Reason}); re-handshaking")]
    public static partial void SessionLost(ILogger logger, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "DTLS peer {Remote} ended the session with fatal alert {AlertDescription} (RFC 5246 §7.2)")]
    public static partial void PeerAlert(ILogger logger, IPEndPoint remote, short alertDescription);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "DTLS peer {Remote} closed the session")]
    public static partial void PeerClosed(ILogger logger, IPEndPoint remote);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "DTLS session with {Remote} failed: {Detail}")]
    public static partial void SessionFailed(ILogger logger, IPEndPoint remote, string detail);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "No DTLS session with {Remote}; datagram of {Length} bytes dropped")]
    public static partial void NoSession(ILogger logger, IPEndPoint remote, int length);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Unexpected failure handling a datagram from {Remote}")]
    public static partial void DatagramFailed(ILogger logger, Exception exception, IPEndPoint remote);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "DTLS session with {Remote} idle for {Idle}; closing it")]
    public static partial void SessionIdle(ILogger logger, IPEndPoint remote, TimeSpan idle);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "DTLS session limit {Max} reached; ClientHello from {Remote} refused")]
    public static partial void SessionLimit(ILogger logger, int max, IPEndPoint remote);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "{Max} DTLS handshakes already running; ClientHello from {Remote} dropped (it will retransmit)")]
    public static partial void HandshakeLimit(ILogger logger, int max, IPEndPoint remote);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "DTLS client {Remote} started a new handshake; replacing its session")]
    public static partial void SessionReplaced(ILogger logger, IPEndPoint remote);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Warning, Message = "DTLS client {Remote} presented unknown PSK identity '{Identity}'")]
    public static partial void UnknownIdentity(ILogger logger, IPEndPoint remote, string identity);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Error, Message = "PSK key lookup for identity '{Identity}' failed")]
    public static partial void KeyLookupFailed(ILogger logger, Exception exception, string identity);

    [LoggerMessage(EventId = 3115, Level = LogLevel.Warning, Message = "DTLS send to {Remote} failed ({Detail}); the session is closed")]
    public static partial void SendFailed(ILogger logger, IPEndPoint remote, string detail);
}
