using System.Globalization;
using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;

namespace ActiveGate.Simulator.Devices;

/// <summary>
/// The Erbium-like CoAP resources of a device, laid out as docs/devices.md says:
/// <c>/dev/info</c>, and per channel N <c>/ch/N/meter</c> (JSON), <c>/ch/N/power|energy|current|voltage</c>
/// (plain decimals) and <c>/ch/N/relay</c> (GET, PUT 1/0/on/off). Readings are observable; observers are
/// notified every reporting period and at once when a relay switches.
/// </summary>
public sealed class DeviceResources : IDisposable
{
    private readonly SimulatedDevice _device;
    private readonly List<CoapResource> _periodic = [];
    private readonly ITimer? _timer;

    /// <summary>Adds the resources of <paramref name="device"/> under <paramref name="root"/>.</summary>
    public DeviceResources(SimulatedDevice device, CoapResource root, TimeProvider time, TimeSpan reportingPeriod)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(time);
        _device = device;

        CoapResource dev = root.Add(new CoapResource("dev") { IsVisible = false });
        dev.Add(new InfoResource(device));

        CoapResource ch = root.Add(new CoapResource("ch") { IsVisible = false });
        foreach (MeterChannel channel in device.Channels)
        {
            CoapResource n = ch.Add(new CoapResource(channel.Number.ToString(CultureInfo.InvariantCulture)) { IsVisible = false });
            var meter = n.Add(new MeterResource(device, channel));
            var power = n.Add(new QuantityResource("power", "ag.power", device, channel, r => r.PowerW, "F1"));
            var energy = n.Add(new QuantityResource("energy", "ag.energy", device, channel, r => r.EnergyWh, "F1"));
            var current = n.Add(new QuantityResource("current", "ag.current", device, channel, r => r.CurrentA, "F3"));
            var voltage = n.Add(new QuantityResource("voltage", "ag.voltage", device, channel, r => r.VoltageV, "F1"));
            var relay = n.Add(new RelayResource(channel));
            _periodic.AddRange([meter, power, energy, current, voltage]);
            channel.RelayChanged += (_, _) =>
            {
                device.TakeMeasurement(channel);
                meter.NotifyChanged();
                relay.NotifyChanged();
                power.NotifyChanged();
                current.NotifyChanged();
            };
        }

        if (reportingPeriod > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(_ => NotifyReadings(), null, reportingPeriod, reportingPeriod);
        }
        else
        {
            // No reporting period: every read is a new measurement.
            device.MeasureOnRead = true;
        }
    }

    /// <summary>Takes a measurement of every channel and notifies every observer (what the reporting timer does).</summary>
    public void NotifyReadings()
    {
        foreach (MeterChannel channel in _device.Channels)
        {
            _device.TakeMeasurement(channel);
        }

        foreach (CoapResource resource in _periodic)
        {
            if (resource.ObserverCount > 0)
            {
                resource.NotifyChanged();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _timer?.Dispose();

    internal static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    internal static string MeterJson(long sequence, ChannelReading r) =>
        $"{{\"seq\":{sequence},\"p\":{Number(r.PowerW, "F1")},\"e\":{Number(r.EnergyWh, "F1")},\"i\":{Number(r.CurrentA, "F3")},\"v\":{Number(r.VoltageV, "F1")},\"relay\":{(r.RelayOn ? 1 : 0)}}}";

    private static CoapResponse Json(string json) =>
        new(CoapCode.Content, Encoding.UTF8.GetBytes(json), CoapContentFormat.Json);

    private static CoapResponse Text(string text) =>
        new(CoapCode.Content, Encoding.UTF8.GetBytes(text), CoapContentFormat.TextPlain);

    private static bool Accepts(CoapRequestContext request, int contentFormat) =>
        request.Accept is null || request.Accept == contentFormat;

    private sealed class InfoResource : CoapResource
    {
        private readonly SimulatedDevice _device;

        public InfoResource(SimulatedDevice device)
            : base("info")
        {
            _device = device;
            ResourceTypes.Add("ag.info");
            ContentFormats.Add(CoapContentFormat.Json);
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (!Accepts(request, CoapContentFormat.Json))
            {
                return ValueTask.FromResult(new CoapResponse(CoapCode.NotAcceptable));
            }

            string json = $"{{\"model\":\"{DeviceModels.ModelName(_device.Kind)}\",\"channels\":{_device.Channels.Count},\"ratedA\":{DeviceModels.RatedCurrent(_device.Kind).ToString(CultureInfo.InvariantCulture)},\"fw\":\"{_device.Firmware}\",\"serial\":\"{_device.Serial}\"}}";
            return ValueTask.FromResult(Json(json));
        }
    }

    private sealed class MeterResource : CoapResource
    {
        private readonly SimulatedDevice _device;
        private readonly MeterChannel _channel;

        public MeterResource(SimulatedDevice device, MeterChannel channel)
            : base("meter")
        {
            _device = device;
            _channel = channel;
            IsObservable = true;
            ResourceTypes.Add("ag.meter");
            ContentFormats.Add(CoapContentFormat.Json);
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (!Accepts(request, CoapContentFormat.Json))
            {
                return ValueTask.FromResult(new CoapResponse(CoapCode.NotAcceptable));
            }

            ChannelReading reading = _device.Measure(_channel, out long sequence);
            return ValueTask.FromResult(Json(MeterJson(sequence, reading)));
        }
    }

    private sealed class QuantityResource : CoapResource
    {
        private readonly SimulatedDevice _device;
        private readonly MeterChannel _channel;
        private readonly Func<ChannelReading, double> _select;
        private readonly string _format;

        public QuantityResource(string name, string resourceType, SimulatedDevice device, MeterChannel channel, Func<ChannelReading, double> select, string format)
            : base(name)
        {
            _device = device;
            _channel = channel;
            _select = select;
            _format = format;
            IsObservable = true;
            ResourceTypes.Add(resourceType);
            ContentFormats.Add(CoapContentFormat.TextPlain);
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            if (!Accepts(request, CoapContentFormat.TextPlain))
            {
                return ValueTask.FromResult(new CoapResponse(CoapCode.NotAcceptable));
            }

            ChannelReading reading = _device.Measure(_channel, out _);
            return ValueTask.FromResult(Text(Number(_select(reading), _format)));
        }
    }

    private sealed class RelayResource : CoapResource
    {
        private readonly MeterChannel _channel;

        public RelayResource(MeterChannel channel)
            : base("relay")
        {
            _channel = channel;
            IsObservable = true;
            ResourceTypes.Add("ag.relay");
            ContentFormats.Add(CoapContentFormat.TextPlain);
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
            => ValueTask.FromResult(Text(_channel.RelayOn ? "1" : "0"));

        public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            bool? on = request.PayloadAsString.Trim().ToUpperInvariant() switch
            {
                "1" or "ON" => true,
                "0" or "OFF" => false,
                _ => null,
            };
            if (on is null)
            {
                return ValueTask.FromResult(CoapResponse.FromText(CoapCode.BadRequest, "expected 1, 0, on or off"));
            }

            _channel.SetRelay(on.Value);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }
    }
}
