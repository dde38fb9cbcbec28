using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ActiveGate.Coap.Transport.Udp;

public sealed partial class UdpDatagramTransport : IDatagramBatchTransport
{
    /// <inheritdoc/>
    /// <remarks>
    /// Linux only, and only with <see cref="BlockingReceive"/>: one recvmmsg takes every queued
    /// datagram and one sendmmsg sends the replies, so a busy server pays two system calls per
    /// batch instead of two per request. Where recvmmsg/sendmmsg turn out to be missing the batch
    /// falls back to one datagram per call.
    /// </remarks>
    public IDatagramBatch? CreateBatch(int capacity, int maxDatagramLength)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramLength, 1);
        if (!BlockingReceive || capacity < 2 || !OperatingSystem.IsLinux() ||
            RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64 or Architecture.Arm or Architecture.X86))
        {
            return null;
        }

        return new MultiMessageBatch(this, capacity, maxDatagramLength);
    }

    /// <summary>A batch that never calls recvmmsg/sendmmsg: the path taken where they are missing (tests use it).</summary>
    internal IDatagramBatch CreatePortableBatch(int capacity, int maxDatagramLength) =>
        new MultiMessageBatch(this, capacity, maxDatagramLength) { Portable = true };

    /// <summary>recvmmsg/sendmmsg over native (pinned) arrays of message headers, addresses and buffers.</summary>
    private sealed unsafe partial class MultiMessageBatch : IDatagramBatch
    {
        // sockaddr_in6 is 28 bytes; 32 keeps each slot aligned.
        private const int NameSize = 32;
        private const int SendSlotSize = 2048;
        private const int MsgWaitForOne = 0x10000;
        private const int MsgTrunc = 0x20;
        private const int EIntr = 4;
        private const int EAgain = 11;
        private const int ENoSys = 38;

        private readonly UdpDatagramTransport _transport;
        private readonly int _receiveSlotSize;
        private readonly MMsgHdr* _receiveHeaders;
        private readonly IoVec* _receiveVectors;
        private readonly byte* _receiveNames;
        private readonly byte* _receiveData;
        private readonly MMsgHdr* _sendHeaders;
        private readonly IoVec* _sendVectors;
        private readonly byte* _sendNames;
        private readonly byte* _sendData;
        private readonly EndPoint[] _remotes;
        private readonly SocketAddress _scratchAddress;
        private int _received;
        private int _queued;
        private bool _native = true;
        private bool _disposed;

        public MultiMessageBatch(UdpDatagramTransport transport, int capacity, int maxDatagramLength)
        {
            _transport = transport;
            Capacity = capacity;
            _receiveSlotSize = maxDatagramLength;
            _remotes = new EndPoint[capacity];
            AddressFamily family = transport._socket.AddressFamily;
            _scratchAddress = new SocketAddress(family, SocketAddress.GetMaximumAddressSize(family));

            // Headers are small and zeroed; the data areas are large but only the pages the kernel
            // writes get committed (a 64 KiB slot usually costs one page).
            _receiveHeaders = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
            _receiveVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
            _receiveNames = (byte*)NativeMemory.AllocZeroed((nuint)capacity, NameSize);
            _receiveData = (byte*)NativeMemory.Alloc((nuint)capacity, (nuint)maxDatagramLength);
            _sendHeaders = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
            _sendVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
            _sendNames = (byte*)NativeMemory.AllocZeroed((nuint)capacity, NameSize);
            _sendData = (byte*)NativeMemory.Alloc((nuint)capacity, SendSlotSize);
            for (int i = 0; i < capacity; i++)
            {
                _receiveVectors[i] = new IoVec { Base = _receiveData + ((nint)i * maxDatagramLength), Length = (nuint)maxDatagramLength };
                _receiveHeaders[i].Header = new MsgHdr { Name = _receiveNames + (i * NameSize), Iov = &_receiveVectors[i], IovLength = 1 };
                _sendVectors[i] = new IoVec { Base = _sendData + ((nint)i * SendSlotSize) };
                _sendHeaders[i].Header = new MsgHdr { Name = _sendNames + (i * NameSize), Iov = &_sendVectors[i], IovLength = 1 };
            }
        }

        ~MultiMessageBatch() => Free();

        public int Capacity { get; }

        public bool Portable
        {
            get => !_native;
            init => _native = !value;
        }

        public int Receive(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _received = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = _native ? ReceiveNative() : ReceiveOne();
                if (count > 0)
                {
                    _received = count;
                    return count;
                }

                // 0: the socket's receive timeout (250 ms) passed or a signal interrupted; look at the token again.
            }
        }

        public ReadOnlySpan<byte> GetReceived(int index, out EndPoint remote, out bool truncated)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_received, nameof(index));
            remote = _remotes[index];
            truncated = (_receiveHeaders[index].Header.Flags & MsgTrunc) != 0;
            int length = (int)Math.Min(_receiveHeaders[index].Length, (uint)_receiveSlotSize);
            return new ReadOnlySpan<byte>(_receiveData + ((nint)index * _receiveSlotSize), length);
        }

        public bool TryQueueSend(ReadOnlySpan<byte> datagram, EndPoint remote)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (datagram.Length > SendSlotSize)
            {
                return false;
            }

            SocketAddress target = _transport._addresses.ToSocketAddress(remote, _transport._socket.AddressFamily);
            if (target.Size > NameSize)
            {
                return false;
            }

            if (_queued == Capacity)
            {
                _ = Flush();
            }

            int slot = _queued;
            target.Buffer.Span[..target.Size].CopyTo(new Span<byte>(_sendNames + (slot * NameSize), NameSize));
            _sendHeaders[slot].Header.NameLength = (uint)target.Size;
            datagram.CopyTo(new Span<byte>(_sendVectors[slot].Base, SendSlotSize));
            _sendVectors[slot].Length = (nuint)datagram.Length;
            _queued++;
            return true;
        }

        public int Flush()
        {
            int refused = 0;
            int next = 0;
            while (next < _queued)
            {
                int sent = _native ? SendNative(next) : SendOne(next);
                if (sent > 0)
                {
                    next += sent;
                }
                else if (sent < 0)
                {
                    // The datagram at 'next' was refused (the error concerns it alone); go on with the rest.
                    refused++;
                    next++;
                }
            }

            _queued = 0;
            return refused;
        }

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            NativeMemory.Free(_receiveHeaders);
            NativeMemory.Free(_receiveVectors);
            NativeMemory.Free(_receiveNames);
            NativeMemory.Free(_receiveData);
            NativeMemory.Free(_sendHeaders);
            NativeMemory.Free(_sendVectors);
            NativeMemory.Free(_sendNames);
            NativeMemory.Free(_sendData);
        }

        private int ReceiveNative()
        {
            for (int i = 0; i < Capacity; i++)
            {
                _receiveHeaders[i].Header.NameLength = NameSize;
                _receiveHeaders[i].Header.Flags = 0;
            }

            int count;
            int error;
            try
            {
                // The marshalled SafeHandle keeps the descriptor alive (and not reused) while the call blocks; it
                // throws ObjectDisposedException once the transport is disposed.
                count = RecvMMsg(_transport._socket.SafeHandle, _receiveHeaders, (uint)Capacity, MsgWaitForOne, 0);
                error = count < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false;
                return 0;
            }

            if (count < 0)
            {
                switch (error)
                {
                    case EAgain:
                        // Normally the 250 ms receive timeout; should the socket have become
                        // non-blocking, wait here rather than spin.
                        _ = _transport._socket.Poll(TimeSpan.FromMilliseconds(250), SelectMode.SelectRead);
                        return 0;
                    case EIntr:
                        return 0;
                    case ENoSys:
                        _native = false;
                        return 0;
                    default:
                        throw new IOException($"recvmmsg failed: {Marshal.GetPInvokeErrorMessage(error)}");
                }
            }

            // Disposal shuts the socket down, which ends a blocked call with an empty, sender-less message.
            ObjectDisposedException.ThrowIf(_transport._disposed != 0, _transport);
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                int nameLength = (int)Math.Min(_receiveHeaders[i].Header.NameLength, (uint)_scratchAddress.Buffer.Length);
                if (nameLength < 2)
                {
                    continue;
                }

                new ReadOnlySpan<byte>(_receiveNames + (i * NameSize), nameLength).CopyTo(_scratchAddress.Buffer.Span);
                _scratchAddress.Size = nameLength;
                if (kept != i)
                {
                    // Keep the datagrams contiguous: move this one's header (length, flags) and data down.
                    _receiveHeaders[kept].Length = _receiveHeaders[i].Length;
                    _receiveHeaders[kept].Header.Flags = _receiveHeaders[i].Header.Flags;
                    new ReadOnlySpan<byte>(_receiveData + ((nint)i * _receiveSlotSize), (int)Math.Min(_receiveHeaders[i].Length, (uint)_receiveSlotSize))
                        .CopyTo(new Span<byte>(_receiveData + ((nint)kept * _receiveSlotSize), _receiveSlotSize));
                }

                _remotes[kept++] = _transport._addresses.ToEndPoint(_scratchAddress);
            }

            return kept;
        }

        private int ReceiveOne()
        {
            var buffer = new Span<byte>(_receiveData, _receiveSlotSize);
            try
            {
                // Portable path: MSG_TRUNC is not reported here, so a full buffer counts as truncated.
                int length = _transport._socket.ReceiveFrom(buffer, SocketFlags.None, _scratchAddress);
                _receiveHeaders[0].Length = (uint)length;
                _receiveHeaders[0].Header.Flags = length == _receiveSlotSize ? MsgTrunc : 0;
                _remotes[0] = _transport._addresses.ToEndPoint(_scratchAddress);
                return 1;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
            {
                return 0;
            }
        }

        private int SendNative(int first)
        {
            int sent;
            int error;
            try
            {
                sent = SendMMsg(_transport._socket.SafeHandle, _sendHeaders + first, (uint)(_queued - first), 0);
                error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false;
                return 0;
            }
            catch (ObjectDisposedException)
            {
                return -1;
            }

            if (sent >= 0)
            {
                return sent;
            }

            switch (error)
            {
                case EIntr:
                    return 0;
                case ENoSys:
                    _native = false;
                    return 0;
                default:
                    return -1;
            }
        }

        private int SendOne(int index)
        {
            try
            {
                ReadOnlySpan<byte> name = new(_sendNames + (index * NameSize), (int)_sendHeaders[index].Header.NameLength);
                name.CopyTo(_scratchAddress.Buffer.Span);
                _scratchAddress.Size = name.Length;
                _ = _transport._socket.SendTo(new ReadOnlySpan<byte>(_sendVectors[index].Base, (int)_sendVectors[index].Length), SocketFlags.None, _scratchAddress);
                return 1;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return -1;
            }
        }

        [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
        private static partial int RecvMMsg(SafeSocketHandle socket, MMsgHdr* messages, uint count, int flags, nint timeout);

        [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
        private static partial int SendMMsg(SafeSocketHandle socket, MMsgHdr* messages, uint count, int flags);

        // struct iovec, struct msghdr and struct mmsghdr of Linux; nint/nuint give the C layout on 32- and 64-bit.
        [StructLayout(LayoutKind.Sequential)]
        private struct IoVec
        {
            public byte* Base;
            public nuint Length;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MsgHdr
        {
            public byte* Name;
            public uint NameLength;
            public IoVec* Iov;
            public nuint IovLength;
            public byte* Control;
            public nuint ControlLength;
            public int Flags;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MMsgHdr
        {
            public MsgHdr Header;
            public uint Length;
        }
    }
}
