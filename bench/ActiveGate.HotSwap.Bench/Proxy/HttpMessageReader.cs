using System.Globalization;
using System.Text;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>An HTTP/1.1 message as seen on the wire: start line, headers (names upper-cased), body, and when its first and last bytes passed.</summary>
public sealed record HttpWireMessage(string StartLine, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset FirstByteAt, DateTimeOffset LastByteAt)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToUpperInvariant(), out string? v) ? v : null;
}

/// <summary>
/// Splits one direction of an HTTP/1.1 connection into messages (RFC 9112 §6: Content-Length or chunked framing; a
/// response to HEAD, 1xx, 204 and 304 has no body). It only observes: anything it cannot frame makes it stop quietly
/// for the rest of the connection. Bytes are kept until a message is complete, which suits oneM2M's small messages.
/// </summary>
internal sealed class HttpMessageReader
{
    private const int MaxBuffered = 8 * 1024 * 1024;
    private static readonly byte[] s_headerEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_lineEnd = "\r\n"u8.ToArray();

    private readonly bool _responses;
    private byte[] _buffer = new byte[4096];
    private int _length;
    private DateTimeOffset _firstByteAt;

    public HttpMessageReader(bool responses) => _responses = responses;

    /// <summary>True once the stream could not be framed; later bytes are ignored.</summary>
    public bool Broken { get; private set; }

    /// <param name="requestWasHead">For responses: whether the request this would answer was a HEAD (no body).</param>
    public void Append(ReadOnlySpan<byte> data, DateTimeOffset at, Func<bool> requestWasHead, List<HttpWireMessage> completed)
    {
        if (Broken)
        {
            return;
        }

        if (_length == 0)
        {
            _firstByteAt = at;
        }

        if (_length + data.Length > MaxBuffered)
        {
            Broken = true;
            return;
        }

        if (_length + data.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + data.Length));
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        while (_length > 0 && !Broken && TryTake(at, requestWasHead, out HttpWireMessage? message))
        {
            completed.Add(message);
        }
    }

    private bool TryTake(DateTimeOffset at, Func<bool> requestWasHead, out HttpWireMessage message)
    {
        message = null!;
        ReadOnlySpan<byte> all = _buffer.AsSpan(0, _length);
        int headerEnd = all.IndexOf(s_headerEnd);
        if (headerEnd < 0)
        {
            return false;
        }

        string[] lines = Encoding.Latin1.GetString(all[..headerEnd]).Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                Broken = true;
                return false;
            }

            headers[line[..colon].Trim().ToUpperInvariant()] = line[(colon + 1)..].Trim();
        }

        int bodyStart = headerEnd + s_headerEnd.Length;
        byte[] body;
        int end;
        if (_responses && (NoBodyStatus(lines[0]) || requestWasHead()))
        {
            body = [];
            end = bodyStart;
        }
        else if (headers.TryGetValue("TRANSFER-ENCODING", out string? te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDechunk(all, bodyStart, out body, out end))
            {
                return false;
            }
        }
        else if (headers.TryGetValue("CONTENT-LENGTH", out string? cl))
        {
            if (!int.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out int length))
            {
                Broken = true;
                return false;
            }

            if (all.Length - bodyStart < length)
            {
                return false;
            }

            body = all.Slice(bodyStart, length).ToArray();
            end = bodyStart + length;
        }
        else
        {
            // A request without framing headers has no body; a response would run to the close, which neither
            // HttpClient's peers nor Kestrel do: treat it as empty rather than hold the stream.
            body = [];
            end = bodyStart;
        }

        message = new HttpWireMessage(lines[0], headers, body, _firstByteAt, at);
        all[end..].CopyTo(_buffer);
        _length -= end;
        _firstByteAt = at; // the next message's first byte arrived in this chunk at the latest
        return true;
    }

    private static bool NoBodyStatus(string statusLine)
    {
        // "HTTP/1.1 204 No Content"
        string[] parts = statusLine.Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int status)
            && (status is >= 100 and < 200 or 204 or 304);
    }

    private bool TryDechunk(ReadOnlySpan<byte> all, int start, out byte[] body, out int end)
    {
        body = [];
        end = 0;
        var collected = new List<byte>();
        int pos = start;
        while (true)
        {
            int lineEnd = all[pos..].IndexOf(s_lineEnd);
            if (lineEnd < 0)
            {
                return false;
            }

            string sizeText = Encoding.Latin1.GetString(all.Slice(pos, lineEnd)).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int size) || size < 0)
            {
                Broken = true;
                return false;
            }

            pos += lineEnd + 2;
            if (size == 0)
            {
                // Trailer section: lines until an empty one.
                while (true)
                {
                    int trailerEnd = all[pos..].IndexOf(s_lineEnd);
                    if (trailerEnd < 0)
                    {
                        return false;
                    }

                    pos += trailerEnd + 2;
                    if (trailerEnd == 0)
                    {
                        body = [.. collected];
                        end = pos;
                        return true;
                    }
                }
            }

            if (all.Length - pos < size + 2)
            {
                return false;
            }

            collected.AddRange(all.Slice(pos, size));
            pos += size + 2;
        }
    }
}
