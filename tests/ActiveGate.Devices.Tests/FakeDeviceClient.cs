using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActiveGate.Devices.Discovery;
using ActiveGate.Devices.Transport;

namespace ActiveGate.Devices.Tests;

/// <summary>An in-memory mesh of devices following docs/devices.md, scriptable per test.</summary>
internal sealed class FakeDeviceClient : IDeviceClient
{
    private readonly Dictionary<IPAddress, FakeDevice> _devices = [];

    public FakeDevice Add(IPAddress address, string model, int channels)
    {
        var device = new FakeDevice(model, channels);
        _devices[address] = device;
        return device;
    }

    public Task<IReadOnlyList<DiscoveredLink>> DiscoverAsync(IPAddress device, CancellationToken cancellationToken)
    {
        FakeDevice d = Get(device);
        var links = new List<DiscoveredLink> { new("/dev/info", ["ag.info"], false) };
        for (int n = 1; n <= d.Channels; n++)
        {
            if (d.HasMeter)
            {
                links.Add(new($"/ch/{n}/meter", ["ag.meter"], true));
            }
            else
            {
                links.Add(new($"/ch/{n}/power", ["ag.power"], true));
                links.Add(new($"/ch/{n}/energy", ["ag.energy"], true));
            }

            links.Add(new($"/ch/{n}/relay", ["ag.relay"], true));
        }

        return Task.FromResult<IReadOnlyList<DiscoveredLink>>(links);
    }

    public Task<DeviceResponse> GetAsync(IPAddress device, string path, CancellationToken cancellationToken)
    {
        FakeDevice d = Get(device);
        Interlocked.Increment(ref d.Gets);
        return Task.FromResult(path switch
        {
            "/dev/info" => Ok($$"""{"model":"{{d.Model}}","channels":{{d.Channels}},"ratedA":{{(d.Model == "ActivePlug" ? 16 : 20)}},"fw":"1.0.0"}"""),
            _ when path.EndsWith("/relay", StringComparison.Ordinal) => Ok(d.Relay[Channel(path)] ? "1" : "0"),
            _ when path.EndsWith("/power", StringComparison.Ordinal) => Ok("123.5"),
            _ when path.EndsWith("/energy", StringComparison.Ordinal) => Ok("1000"),
            _ => new DeviceResponse(404, default),
        });
    }

    public Task<DeviceResponse> PutAsync(IPAddress device, string path, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        FakeDevice d = Get(device);
        if (d.RefuseSwitch)
        {
            return Task.FromResult(new DeviceResponse(500, default));
        }

        d.Relay[Channel(path)] = payload.Span.SequenceEqual("1"u8);
        return Task.FromResult(new DeviceResponse(204, default));
    }

    public async IAsyncEnumerable<DeviceResponse> ObserveAsync(IPAddress device, string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        FakeDevice d = Get(device);
        Interlocked.Increment(ref d.ObserveRegistrations);
        ChannelReader<string> notifications = d.Notifications(Channel(path)).Reader;
        while (await notifications.WaitToReadAsync(cancellationToken))
        {
            while (notifications.TryRead(out string? payload))
            {
                if (payload == "END")
                {
                    yield break;
                }

                if (payload == "TIMEOUT")
                {
                    throw new DeviceTimeoutException("no answer");
                }

                yield return Ok(payload);
            }
        }
    }

    private FakeDevice Get(IPAddress address) =>
        _devices.TryGetValue(address, out FakeDevice? d) && !d.Gone ? d : throw new DeviceTimeoutException($"{address} does not answer");

    private static int Channel(string path) => int.Parse(path.Split('/')[2], System.Globalization.CultureInfo.InvariantCulture);

    private static DeviceResponse Ok(string payload) => new(205, System.Text.Encoding.UTF8.GetBytes(payload));

    internal sealed class FakeDevice(string model, int channels)
    {
        private readonly Dictionary<int, Channel<string>> _notifications = [];
        public int Gets;
        public int ObserveRegistrations;

        public string Model { get; } = model;

        public int Channels { get; } = channels;

        public bool HasMeter { get; set; } = true;

        public bool Gone { get; set; }

        public bool RefuseSwitch { get; set; }

        public Dictionary<int, bool> Relay { get; } = Enumerable.Range(1, channels).ToDictionary(n => n, _ => true);

        public Channel<string> Notifications(int channel)
        {
            lock (_notifications)
            {
                if (!_notifications.TryGetValue(channel, out Channel<string>? c))
                {
                    c = System.Threading.Channels.Channel.CreateUnbounded<string>();
                    _notifications[channel] = c;
                }

                return c;
            }
        }

        public void Notify(int channel, long seq, double power = 100, double energy = 1000) =>
            Notifications(channel).Writer.TryWrite(FormattableString.Invariant($$"""{"seq":{{seq}},"p":{{power}},"e":{{energy}},"i":0.5,"v":230,"relay":1}"""));
    }
}
