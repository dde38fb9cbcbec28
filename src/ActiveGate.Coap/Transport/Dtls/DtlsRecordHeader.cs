using System.Buffers.Binary;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// Peeks at plaintext DTLS record headers (RFC 6347 §4.1) without decrypting anything, to route
/// datagrams before a session exists and to notice handshakes that cannot make progress.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  content type |    version (major, minor) |       epoch       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 sequence number (48 bits)                     |
/// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |         length                |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fragment (length bytes; for epoch 0 handshake: msg_type first) ...
/// </code>
/// </summary>
internal static class DtlsRecordHeader
{
    public const int Length = 13;
    public const byte ContentTypeAlert = 21;
    public const byte ContentTypeHandshake = 22;
    public const byte HandshakeTypeClientHello = 1;

    /// <summary>True when the datagram starts with an epoch-0 handshake record carrying a ClientHello.</summary>
    public static bool IsClientHello(ReadOnlySpan<byte> datagram) =>
        datagram.Length > Length
        && datagram[0] == ContentTypeHandshake
        && datagram[1] == 0xFE // DTLS major version (one's complement of 1)
        && BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(3)) == 0
        && datagram[Length] == HandshakeTypeClientHello;

    /// <summary>Counts records of a non-zero epoch (encrypted) in a datagram; stops at the first malformed header.</summary>
    public static int CountEncryptedRecords(ReadOnlySpan<byte> datagram)
    {
        int count = 0;
        while (datagram.Length >= Length)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(11));
            if (datagram.Length < Length + length)
            {
                break;
            }

            if (BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(3)) != 0)
            {
                count++;
            }

            datagram = datagram.Slice(Length + length);
        }

        return count;
    }
}
