using System.Text;

namespace ActiveGate.Coap.Tests.Transport.Dtls;

/// <summary>Hand-encoded CoAP messages (RFC 7252 §3), so transport tests need no codec.</summary>
internal static class CoapBytes
{
    /// <summary>CON GET with a 2-byte token and one Uri-Path segment (short enough for a one-byte option header).</summary>
    public static byte[] ConGet(ushort messageId, ushort token, string path)
    {
        byte[] segment = Encoding.ASCII.GetBytes(path);
        if (segment.Length > 12)
        {
            throw new ArgumentException("Keep the test path short.", nameof(path));
        }

        var message = new List<byte>
        {
            0x42, // Ver 1, T=CON, TKL=2
            0x01, // GET
            (byte)(messageId >> 8), (byte)messageId,
            (byte)(token >> 8), (byte)token,
        };
        if (segment.Length > 0)
        {
            message.Add((byte)(0xB0 | segment.Length)); // Uri-Path (11), delta 11 from 0
            message.AddRange(segment);
        }

        return message.ToArray();
    }

    /// <summary>Piggybacked ACK 2.05 echoing id and token of <paramref name="request"/>, with a text payload.</summary>
    public static byte[] AckContent(ReadOnlySpan<byte> request, string payload)
    {
        int tokenLength = request[0] & 0x0F;
        var message = new List<byte> { (byte)(0x60 | tokenLength), 0x45, request[2], request[3] };
        message.AddRange(request.Slice(4, tokenLength).ToArray());
        message.Add(0xFF);
        message.AddRange(Encoding.UTF8.GetBytes(payload));
        return message.ToArray();
    }

    public static int TokenLength(ReadOnlySpan<byte> message) => message[0] & 0x0F;

    /// <summary>The payload after the options and the 0xFF marker, or empty.</summary>
    public static string Payload(ReadOnlySpan<byte> message)
    {
        int i = 4 + TokenLength(message);
        while (i < message.Length && message[i] != 0xFF)
        {
            int delta = message[i] >> 4;
            int length = message[i] & 0x0F;
            i++;
            i += delta switch { 13 => 1, 14 => 2, _ => 0 };
            if (length == 13)
            {
                length = message[i] + 13;
                i++;
            }
            else if (length == 14)
            {
                length = (message[i] << 8 | message[i + 1]) + 269;
                i += 2;
            }

            i += length;
        }

        return i + 1 >= message.Length ? "" : Encoding.UTF8.GetString(message.Slice(i + 1));
    }
}
