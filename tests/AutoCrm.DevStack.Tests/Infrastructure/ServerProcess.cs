using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace AutoCrm.DevStack.Tests.Infrastructure;

/// <summary>
/// A server executable run as a real child process with its output captured line by line, so a test can wait for a
/// line (no sleeps), send it a POSIX signal and wait for it to exit, each with a timeout.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    private ServerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_output)
            {
                return _error.ToString();
            }
        }
    }

    public static ServerProcess Start(
        string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Received(e.Data, server._output);
        process.ErrorDataReceived += (_, e) => server.Received(e.Data, server._error);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for a line of standard output or error that matches, failing after <paramref name="timeout"/> or when the process exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            foreach (var line in (_output.ToString() + _error).Split('\n'))
            {
                if (match(line))
                {
                    return line;
                }
            }

            _waiters.Add((match, found));
        }

        var exited = _process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var first = await Task.WhenAny(found.Task, exited).WaitAsync(timeout, TestContext.Current.CancellationToken);
        return first == found.Task
            ? await found.Task
            : throw new InvalidOperationException($"The process exited ({_process.ExitCode}) before printing the expected line.\n{Output}\n{Error}");
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit and returns its exit code; a process still running after <paramref name="timeout"/> fails the test.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The process did not exit within {timeout}.\n{Output}\n{Error}");
        }

        // The exit event can run before the last output lines were read.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>True when the process exists and is not a zombie (a dead child nobody has reaped yet).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Received(string? line, StringBuilder into)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            into.Append(line).Append('\n');
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }
}
