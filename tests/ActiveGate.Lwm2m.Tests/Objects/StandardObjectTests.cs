using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;

namespace ActiveGate.Lwm2m.Tests.Objects;

public sealed class StandardObjectTests
{
    private static Lwm2mRecord R(string path, Lwm2mValue value) => new(Lwm2mPath.Parse(path), value);

    [Fact]
    public void Device_reports_identity_bindings_and_memory()
    {
        var t = new TestModel();
        var v = t.Device.GetInstance(0)!.Current;
        Assert.Equal("ActiveGate Labs", v.GetString(DeviceObject.Manufacturer));
        Assert.Equal("AG-1", v.GetString(DeviceObject.ModelNumber));
        Assert.Equal("SN-0001", v.GetString(DeviceObject.SerialNumber));
        Assert.Equal("1.2.3", v.GetString(DeviceObject.FirmwareVersion));
        Assert.Equal("UQ", v.GetString(DeviceObject.SupportedBindingAndModes));
        Assert.Equal(123456, v.GetInteger(DeviceObject.MemoryFree));
        Assert.Equal(2000000, v.GetInteger(DeviceObject.MemoryTotal));
        Assert.Matches(@"^[+-]\d\d:\d\d$", v.GetString(DeviceObject.UtcOffset));
    }

    [Fact]
    public void Default_firmware_version_comes_from_the_assembly()
    {
        string version = new DeviceInfo().FirmwareVersion;
        Assert.Matches(@"^\d+\.\d+", version);
        Assert.DoesNotContain("+", version, StringComparison.Ordinal);
        Assert.Equal("0.1.0", DeviceInfo.AssemblyVersion(typeof(DeviceObject).Assembly));
    }

    [Fact]
    public void Reboot_and_factory_reset_ask_the_host()
    {
        var t = new TestModel();
        var asked = new List<string>();
        t.Device.RebootRequested += (s, _) => asked.Add("reboot:" + (s == t.Device));
        t.Device.FactoryResetRequested += (_, _) => asked.Add("reset");
        t.Model.Execute(Lwm2mPath.Parse("/3/0/4"), "", Lwm2mOrigin.DeviceManagement);
        t.Model.Execute(Lwm2mPath.Parse("/3/0/5"), "", Lwm2mOrigin.DeviceManagement);
        Assert.Equal(["reboot:True", "reset"], asked);
    }

    [Fact]
    public void Error_codes_accumulate_and_reset_and_notify()
    {
        var t = new TestModel();
        var changed = new List<Lwm2mPath>();
        t.Model.Changed += (_, e) => changed.AddRange(e.Paths);
        t.Device.ReportError(3);
        t.Device.ReportError(8);
        t.Device.ReportError(3);
        var codes = t.Model.Read(Lwm2mPath.Parse("/3/0/11"), Lwm2mOrigin.DeviceManagement).Select(r => r.Value.AsInteger());
        Assert.Equal([3L, 8L], codes);
        t.Model.Execute(Lwm2mPath.Parse("/3/0/12"), "", Lwm2mOrigin.DeviceManagement);
        Assert.Equal([0L], t.Model.Read(Lwm2mPath.Parse("/3/0/11"), Lwm2mOrigin.DeviceManagement).Select(r => r.Value.AsInteger()));
        Assert.Equal(3, changed.Count(p => p == Lwm2mPath.Parse("/3/0/11")));
    }

    [Fact]
    public void Writing_current_time_sets_an_offset_to_the_clock()
    {
        var t = new TestModel();
        var target = t.Time.GetUtcNow().AddHours(1);
        t.Model.Write(Lwm2mPath.Parse("/3/0/13"), [R("/3/0/13", Lwm2mValue.FromTime(target))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement);
        Assert.Equal(TimeSpan.FromHours(1), t.Device.ClockOffset);
        t.Time.Advance(TimeSpan.FromSeconds(30));
        var now = t.Model.Read(Lwm2mPath.Parse("/3/0/13"), Lwm2mOrigin.DeviceManagement)[0].Value.AsTime();
        Assert.Equal(target.AddSeconds(30), now);
    }

    [Theory]
    [InlineData("+02:00", true)]
    [InlineData("-05:30", true)]
    [InlineData("UTC+01", true)]
    [InlineData("02:00", false)]
    [InlineData("+25:00", false)]
    [InlineData("+01:99", false)]
    public void Utc_offset_writes_are_validated(string offset, bool ok)
    {
        var t = new TestModel();
        void Write() => t.Model.Write(Lwm2mPath.Parse("/3/0/14"), [R("/3/0/14", Lwm2mValue.FromString(offset))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement);
        if (ok)
        {
            Write();
            Assert.Equal(offset, t.Device.GetInstance(0)!.Current.GetString(14));
        }
        else
        {
            Assert.Equal(Lwm2mStatus.BadRequest, Assert.Throws<Lwm2mException>(Write).Status);
        }
    }

    [Fact]
    public void Connectivity_reports_vpn_addresses_routers_and_caches_snapshots()
    {
        var t = new TestModel();
        var read = t.Model.Read(Lwm2mPath.Parse("/4/0"), Lwm2mOrigin.DeviceManagement);
        Assert.Equal(41, read.Single(r => r.Path == Lwm2mPath.Parse("/4/0/0")).Value.AsInteger());
        Assert.Equal(["192.168.1.20", "10.8.0.2", "fd00::1"], read.Where(r => r.Path.Length == 4 && r.Path.ResourceId == 4).Select(r => r.Value.AsString()));
        Assert.Equal("192.168.1.1", read.Single(r => r.Path == Lwm2mPath.Parse("/4/0/5/0")).Value.AsString());
        Assert.DoesNotContain(read, r => r.Path.ResourceId == 3);   // link quality unknown on Ethernet
        int calls = t.Network.Calls;
        t.Model.Read(Lwm2mPath.Parse("/4/0"), Lwm2mOrigin.DeviceManagement);
        Assert.Equal(calls, t.Network.Calls);
        t.Time.Advance(TimeSpan.FromSeconds(6));
        t.Network.Snapshot = t.Network.Snapshot with { Bearer = NetworkBearer.Wlan, LinkQuality = 54, RadioSignalStrength = -56 };
        read = t.Model.Read(Lwm2mPath.Parse("/4/0"), Lwm2mOrigin.DeviceManagement);
        Assert.Equal(54, read.Single(r => r.Path == Lwm2mPath.Parse("/4/0/3")).Value.AsInteger());
        Assert.Equal(-56, read.Single(r => r.Path == Lwm2mPath.Parse("/4/0/2")).Value.AsInteger());
    }

    [Fact]
    public void System_network_provider_sees_this_machine()
    {
        var snapshot = new SystemNetworkStatusProvider().GetSnapshot();
        Assert.NotEmpty(snapshot.AvailableBearers);
        Assert.All(snapshot.IpAddresses, a => Assert.True(System.Net.IPAddress.TryParse(a, out _), a));
        Assert.DoesNotContain("127.0.0.1", snapshot.IpAddresses);
    }

    [Fact]
    public void Server_executes_raise_events_with_the_short_server_id()
    {
        var t = new TestModel();
        var got = new List<string>();
        t.Server.UpdateTriggered += (_, e) => got.Add($"update {e.ShortServerId}");
        t.Server.BootstrapRequested += (_, e) => got.Add($"bootstrap {e.ShortServerId}");
        t.Server.DisableRequested += (_, e) => got.Add($"disable {e.ShortServerId} {e.DisableTimeout!.Value.TotalSeconds}");
        t.Model.Execute(Lwm2mPath.Parse("/1/0/8"), "", Lwm2mOrigin.DeviceManagement);
        t.Model.Execute(Lwm2mPath.Parse("/1/0/9"), "", Lwm2mOrigin.DeviceManagement);
        t.Model.Execute(Lwm2mPath.Parse("/1/0/4"), "", Lwm2mOrigin.DeviceManagement);
        Assert.Equal(["update 101", "bootstrap 101", "disable 101 86400"], got);
    }

    [Fact]
    public void Security_accounts_never_print_keys()
    {
        var t = new TestModel();
        var bs = t.Security.BootstrapAccount!;
        Assert.Equal("bs-identity", bs.PskIdentityText);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, bs.SecretKey.ToArray());
        string text = bs.ToString();
        Assert.DoesNotContain("DEAD", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("3q2+7w", text, StringComparison.Ordinal);   // base64 of the key
        Assert.DoesNotContain("bs-identity", text, StringComparison.Ordinal);
        Assert.Contains("key=set", text, StringComparison.Ordinal);
    }
}
