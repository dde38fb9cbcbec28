using System.Buffers.Binary;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>What the harness reads from a proxy's recorder, whatever the binding.</summary>
public interface IExchangeRecorder : ITrafficObserver
{
    /// <summary>Completed exchanges in order of their responses.</summary>
    IReadOnlyList<HttpExchange> Exchanges { get; }

    /// <summary>Requests whose flow closed before an answer (Status 0).</summary>
    IReadOnlyList<HttpExchange> Unanswered { get; }
}

/// <summary>
/// The CoAP counterpart of <see cref="HttpExchangeRecorder"/> (oneM2M CoAP binding, TS-0008) on a
/// <see cref="UdpLatencyProxy"/>: parses each datagram's CoAP header (RFC 7252 §3) just enough to pair a request with
/// its response by token (piggybacked in the ACK or separate), and records it in the same <see cref="HttpExchange"/>
/// shape so the swap analysis is binding-neutral: Method from the code, Target from Uri-Path, ResourceType from the
/// oneM2M-TY option (267), the name from the JSON payload, Status = class × 100 + detail (2.01 → 201), RSC from
/// option 307. A retransmitted request keeps its first time (the agent's first try is what the swap waited for).
/// </summary>
public sealed class CoapExchangeRecorder : IExchangeRecorder
{
    private const int OptionUriPath = 11;
    private const int OptionTy = 267;
    private const int OptionRsc = 307;

    private readonly Lock _gate = new();
    private readonly Dictionary<(long Flow, string Token), HttpExchange> _waiting = [];
    private readonly List<HttpExchange> _exchanges = [];
    private readonly List<HttpExchange> _unanswered = [];

    public IReadOnlyList<HttpExchange> Exchanges
    {
        get
        {
            lock (_gate)
            {
                return [.. _exchanges];
            }
        }
    }

    public IReadOnlyList<HttpExchange> Unanswered
    {
        get
        {
            lock (_gate)
            {
                return [.. _unanswered];
            }
        }
    }

    /// <summary>Datagrams that were not CoAP (counted, otherwise ignored).</summary>
    public int Unparsable { get; private set; }

    public void OnOpened(long flow, DateTimeOffset at)
    {
    }

    public void OnData(long flow, FlowDirection direction, DateTimeOffset at, ReadOnlySpan<byte> data)
    {
        if (!TryParse(data, out Message m))
        {
            lock (_gate)
            {
                Unparsable++;
            }

            return;
        }

        int codeClass = m.Code >> 5, detail = m.Code & 0x1f;
        if (m.Code == 0)
        {
            return; // empty message: an ACK before a separate response, a RST or a ping
        }

        lock (_gate)
        {
            if (direction == FlowDirection.Upstream && codeClass == 0)
            {
                // Key by token; an empty token falls back to the message ID (piggybacked answers only).
                (long, string) key = (flow, m.Token.Length > 0 ? Convert.ToHexString(m.Token) : "mid:" + m.MessageId);
                if (!_waiting.ContainsKey(key))
                {
                    string method = detail switch { 1 => "GET", 2 => "POST", 3 => "PUT", 4 => "DELETE", _ => "0." + detail };
                    string? rn = method == "POST" && m.Ty is not null && m.Payload.Length > 0 ? HttpExchangeRecorder.NameOf(m.Payload) : null;
                    _waiting[key] = new HttpExchange(flow, method, m.Path, m.Ty, rn, at, DateTimeOffset.MaxValue, 0, null);
                }

                return;
            }

            if (direction == FlowDirection.Downstream && codeClass is >= 2 and <= 5)
            {
                (long, string) key = (flow, m.Token.Length > 0 ? Convert.ToHexString(m.Token) : "mid:" + m.MessageId);
                if (_waiting.Remove(key, out HttpExchange? request))
                {
                    _exchanges.Add(request with { ResponseAt = at, Status = (codeClass * 100) + detail, Rsc = m.Rsc });
                }
            }
        }
    }

    public void OnClosed(long flow, DateTimeOffset at)
    {
        lock (_gate)
        {
            foreach ((long, string) key in _waiting.Keys.Where(k => k.Flow == flow).ToList())
            {
                _waiting.Remove(key, out HttpExchange? request);
                _unanswered.Add(request!);
            }
        }
    }

    private readonly record struct Message(byte Code, ushort MessageId, byte[] Token, string Path, int? Ty, int? Rsc, byte[] Payload);

    /// <summary>RFC 7252 §3: header, token, options (delta-encoded, extended by 13/14), 0xFF, payload.</summary>
    private static bool TryParse(ReadOnlySpan<byte> d, out Message message)
    {
        message = default;
        if (d.Length < 4 || d[0] >> 6 != 1)
        {
            return false;
        }

        int tkl = d[0] & 0x0f;
        if (tkl > 8 || d.Length < 4 + tkl)
        {
            return false;
        }

        byte code = d[1];
        ushort mid = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        byte[] token = d.Slice(4, tkl).ToArray();
        int i = 4 + tkl, number = 0;
        var path = new List<string>();
        int? ty = null, rsc = null;
        byte[] payload = [];
        while (i < d.Length)
        {
            if (d[i] == 0xff)
            {
                payload = d[(i + 1)..].ToArray();
                break;
            }

            int delta = d[i] >> 4, length = d[i] & 0x0f;
            i++;
            if (!Extend(d, ref i, ref delta) || !Extend(d, ref i, ref length) || i + length > d.Length)
            {
                return false;
            }

            number += delta;
            ReadOnlySpan<byte> value = d.Slice(i, length);
            i += length;
            switch (number)
            {
                case OptionUriPath:
                    path.Add(System.Text.Encoding.UTF8.GetString(value));
                    break;
                case OptionTy:
                    ty = (int)Uint(value);
                    break;
                case OptionRsc:
                    rsc = (int)Uint(value);
                    break;
            }
        }

        message = new Message(code, mid, token, "/" + string.Join('/', path), ty, rsc, payload);
        return true;
    }

    private static bool Extend(ReadOnlySpan<byte> d, ref int i, ref int nibble)
    {
        switch (nibble)
        {
            case 13 when i < d.Length:
                nibble = d[i++] + 13;
                return true;
            case 14 when i + 1 < d.Length:
                nibble = BinaryPrimitives.ReadUInt16BigEndian(d[i..]) + 269;
                i += 2;
                return true;
            case 13 or 14 or 15:
                return false;
            default:
                return true;
        }
    }

    private static uint Uint(ReadOnlySpan<byte> value)
    {
        uint v = 0;
        foreach (byte b in value)
        {
            v = (v << 8) | b;
        }

        return v;
    }
}
