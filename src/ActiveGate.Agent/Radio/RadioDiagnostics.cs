using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Radio;
using ActiveGate.Radio.Capture;

namespace ActiveGate.Agent.Radio;

/// <summary><c>radio</c>: port, state, EUI-64, channel, PAN, frame and error counters, last transmit results.</summary>
public sealed class RadioDiagnostics(RadioService radio) : IDiagnosticsCommand
{
    public string Name => "radio";

    public ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        IRadioLink? link = radio.Link;
        if (link is null)
        {
            return ValueTask.FromResult<JsonNode?>(new JsonObject
            {
                ["mode"] = radio.Options.Mode.ToString(),
                ["state"] = radio.Options.Mode == Options.RadioMode.None ? "disabled" : "starting",
            });
        }

        RadioLinkStatistics stats = link.GetStatistics();
        var errors = new JsonObject();
        foreach ((RadioErrorReason reason, long count) in stats.Errors.Where(e => e.Value > 0))
        {
            errors[reason.ToString()] = count;
        }

        var statuses = new JsonObject();
        foreach ((TxStatus status, long count) in stats.TxStatuses.Where(e => e.Value > 0))
        {
            statuses[status.ToString()] = count;
        }

        var last = new JsonArray();
        foreach (TxRecord record in stats.LastTransmits)
        {
            last.Add(new JsonObject
            {
                ["at"] = record.Timestamp.ToString("O"),
                ["bytes"] = record.Length,
                ["status"] = record.Result.Status.ToString(),
                ["transmissions"] = record.Result.Transmissions,
            });
        }

        JsonNode result = new JsonObject
        {
            ["mode"] = radio.Options.Mode.ToString(),
            ["port"] = stats.Description,
            ["state"] = stats.State.ToString(),
            ["eui64"] = stats.ExtendedAddress is ulong eui ? RadioLinkStatistics.FormatEui64(eui) : null,
            ["channel"] = stats.Channel,
            ["panId"] = stats.PanId is ushort pan ? $"0x{pan:X4}" : null,
            ["framesIn"] = stats.FramesIn,
            ["framesOut"] = stats.FramesOut,
            ["bytesIn"] = stats.BytesIn,
            ["bytesOut"] = stats.BytesOut,
            ["textLines"] = stats.TextLines,
            ["connects"] = stats.Connects,
            ["errors"] = errors,
            ["txStatuses"] = statuses,
            ["lastTransmits"] = last,
            ["captureTaps"] = radio.Taps.Count,
        };
        return ValueTask.FromResult<JsonNode?>(result);
    }
}

/// <summary>
/// <c>capture</c>: records every frame for a while into an in-memory pcap and returns it
/// (base64). Bounded, so a forgotten capture cannot eat the board's memory.
/// </summary>
public sealed class CaptureDiagnostics(RadioService radio, TimeProvider timeProvider) : IDiagnosticsCommand
{
    public const int MaxCaptureBytes = 8 * 1024 * 1024;
    public const int MaxSeconds = 3600;

    public string Name => "capture";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        double seconds = arguments.TryGetProperty("seconds", out JsonElement s) && s.TryGetDouble(out double value) ? value : 10;
        if (seconds is <= 0 or > MaxSeconds)
        {
            throw new DiagnosticsCommandException("bad-request", $"seconds must be between 0 and {MaxSeconds}");
        }

        bool withFcs = !arguments.TryGetProperty("fcs", out JsonElement fcs) || fcs.ValueKind != JsonValueKind.False;
        using var buffer = new MemoryStream();
        using var tap = new BoundedPcapTap(buffer, withFcs ? PcapLinkType.Ieee802154WithFcs : PcapLinkType.Ieee802154NoFcs);
        radio.Taps.Add(tap);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), timeProvider, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            radio.Taps.Remove(tap);
        }

        byte[] pcap;
        lock (tap)
        {
            pcap = buffer.ToArray();
        }

        return new JsonObject
        {
            ["frames"] = tap.Frames,
            ["truncated"] = tap.Truncated,
            ["linkType"] = withFcs ? 195 : 230,
            ["pcapBase64"] = Convert.ToBase64String(pcap),
        };
    }

    private sealed class BoundedPcapTap : IRadioFrameTap, IDisposable
    {
        private readonly PcapTap _inner;
        private readonly MemoryStream _buffer;

        public BoundedPcapTap(MemoryStream buffer, PcapLinkType linkType)
        {
            _buffer = buffer;
            _inner = new PcapTap(buffer, linkType, leaveOpen: true);
        }

        public long Frames { get; private set; }

        public bool Truncated { get; private set; }

        public void OnFrame(RadioFrameDirection direction, DateTimeOffset timestamp, ReadOnlySpan<byte> mpduWithoutFcs)
        {
            lock (this)
            {
                if (_buffer.Length + mpduWithoutFcs.Length + 32 > MaxCaptureBytes)
                {
                    Truncated = true;
                    return;
                }

                _inner.OnFrame(direction, timestamp, mpduWithoutFcs);
                Frames++;
            }
        }

        public void Dispose() => _inner.Dispose();
    }
}
