using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.Lwm2m.Persistence;

namespace ActiveGate.Lwm2m.Tests.Persistence;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static Lwm2mRecord R(string path, Lwm2mValue value) => new(Lwm2mPath.Parse(path), value);

    private static TestModel Persistent()
    {
        var t = new TestModel();
        return t;
    }

    [Fact]
    public void Server_writes_survive_a_restart_and_local_changes_do_not_trigger_saves()
    {
        var first = Persistent();
        using (var store = new Lwm2mStateStore(_dir))
        {
            store.Attach(first.Model);
            first.Server.AddServer(1, 202, 50);                 // local: not saved
            Assert.False(store.Exists);
            first.Model.Write(Lwm2mPath.Parse("/1/0/1"), [R("/1/0/1", Lwm2mValue.FromInteger(4242))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement);
            first.Model.Write(Lwm2mPath.Parse("/0/7"), [R("/0/7/0", Lwm2mValue.FromString("coaps://lwm2m.example:5684")), R("/0/7/1", Lwm2mValue.FromBoolean(false)), R("/0/7/2", Lwm2mValue.FromInteger(0)), R("/0/7/3", Lwm2mValue.FromOpaque("gw-1"u8)), R("/0/7/5", Lwm2mValue.FromOpaque([1, 2, 3])), R("/0/7/10", Lwm2mValue.FromInteger(9))], WriteMode.Replace, Lwm2mOrigin.Bootstrap);
            Assert.Equal(2, store.SaveCount);
            Assert.False(File.Exists(store.FilePath + ".tmp"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
            }
        }

        var second = new TestModel();
        var restored = new Lwm2mStateStore(_dir);
        Assert.True(restored.TryRestore(second.Model));
        Assert.Equal(4242, second.Server.GetServer(101)!.Lifetime.TotalSeconds);
        Assert.NotNull(second.Server.GetServer(202));               // saved along with the next server write
        var account = second.Security.ServerAccount(9)!;
        Assert.Equal("coaps://lwm2m.example:5684/", account.ServerUri.ToString());
        Assert.Equal(new byte[] { 1, 2, 3 }, account.SecretKey.ToArray());
        Assert.Equal(SecurityMode.PreSharedKey, account.Mode);
    }

    [Fact]
    public void A_corrupt_file_is_set_aside_and_reported_as_absent()
    {
        Directory.CreateDirectory(_dir);
        var store = new Lwm2mStateStore(_dir);
        File.WriteAllText(store.FilePath, "{\"version\":1,\"objects\":[{\"id\":1,\"instances\":[{\"id\":0,\"resources\":[{\"id\":1,\"type\":\"Integer\",\"value\":\"x\"}]}]}]}");
        var t = new TestModel();
        Assert.False(store.TryRestore(t.Model));
        Assert.True(File.Exists(store.FilePath + ".bad"));
        Assert.Equal(300, t.Server.GetServer(101)!.Lifetime.TotalSeconds);
        Assert.False(new Lwm2mStateStore(Path.Combine(_dir, "none")).TryRestore(t.Model));
    }
}
