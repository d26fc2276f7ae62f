# Get-ImageEmbedding -Session over real SSH remoting: a private sshd on 127.0.0.1 (LoopbackSsh.psm1) and
# sessions into this same computer, where the module under test sits at the same path.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'LoopbackSsh.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:manifest = Get-GridTsneManifestPath
    $script:server = Start-LoopbackSshd

    function New-GridTsneSession([int] $Count = 1, [string] $Name = 'Worker') {
        # Sessions with the module under test imported, as the README's recipe does.
        $sessions = @(New-LoopbackSession $server -Count $Count -Name $Name)
        Invoke-Command -Session $sessions { param($Manifest) Import-Module $Manifest } -ArgumentList $manifest
        $sessions
    }

    function Start-RemoteEmbedding([object[]] $Sessions, [string[]] $Paths, [hashtable] $Parameters = @{}) {
        # Runs the embedding in another PowerShell of this process, so a test can act while it runs. Errors go
        # to the output too, so the order of everything written can be checked.
        $shell = [powershell]::Create()
        $null = $shell.AddScript("param(`$Sessions, `$Paths, `$Parameters) Import-Module '$manifest'; Get-ImageEmbedding -LiteralPath `$Paths -Session `$Sessions @Parameters 2>&1")
        $null = $shell.AddArgument($Sessions).AddArgument($Paths).AddArgument($Parameters)
        $output = [Management.Automation.PSDataCollection[psobject]]::new()
        [pscustomobject]@{ Shell = $shell; Output = $output; Async = $shell.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output) }
    }

    function Wait-RemoteEmbedding($Run, [int] $TimeoutSeconds = 300) {
        # A generous limit that only guards against a hang.
        $Run.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds)) | Should -BeTrue -Because 'the run must end'
        $state = $Run.Shell.InvocationStateInfo
        $result = [pscustomobject]@{
            State    = $state.State
            Reason   = $state.Reason
            Output   = @($Run.Output | Where-Object { $_ -isnot [Management.Automation.ErrorRecord] })
            Errors   = @($Run.Output | Where-Object { $_ -is [Management.Automation.ErrorRecord] })
            Answered = @($Run.Output | ForEach-Object { if ($_ -is [Management.Automation.ErrorRecord]) { $_.TargetObject } else { $_.Path } })
            Warnings = @($Run.Shell.Streams.Warning | ForEach-Object Message)
            Progress = @($Run.Shell.Streams.Progress)
        }
        $Run.Shell.Dispose()
        $result
    }

    function Wait-Output($Run, [int] $Count) {
        $deadline = [DateTime]::UtcNow.AddMinutes(5)
        while ($Run.Output.Count -lt $Count -and -not $Run.Async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        $Run.Async.IsCompleted | Should -BeFalse -Because 'the run must still be going when the session is lost'
    }

    function Get-VectorBits([float[]] $Vector) {
        $bytes = [byte[]]::new($Vector.Count * 4)
        [Buffer]::BlockCopy($Vector, 0, $bytes, 0, $bytes.Length)
        [Convert]::ToBase64String($bytes)
    }

    function Assert-SameEmbedding($Actual, $Expected) {
        $Actual.Count | Should -Be $Expected.Count
        for ($index = 0; $index -lt $Expected.Count; $index++) {
            $Actual[$index] | Should -BeOfType 'GridTsne.ImageEmbedding'
            $Actual[$index].Path | Should -Be $Expected[$index].Path
            $Actual[$index].Model | Should -Be $Expected[$index].Model
            $Actual[$index].Width | Should -Be $Expected[$index].Width
            $Actual[$index].Height | Should -Be $Expected[$index].Height
            # Bit for bit: the same code on the same computer, and the vector crosses the session as raw bytes.
            Get-VectorBits $Actual[$index].Vector | Should -Be (Get-VectorBits $Expected[$index].Vector)
            if ($null -eq $Expected[$index].Thumbnail) {
                $Actual[$index].Thumbnail | Should -BeNullOrEmpty
            } else {
                $Actual[$index].Thumbnail.GetType() | Should -Be $Expected[$index].Thumbnail.GetType()
                $Actual[$index].Thumbnail.Width | Should -Be $Expected[$index].Thumbnail.Width
                $Actual[$index].Thumbnail.Height | Should -Be $Expected[$index].Thumbnail.Height
                $Actual[$index].Thumbnail.SourceWidth | Should -Be $Expected[$index].Thumbnail.SourceWidth
                [Convert]::ToBase64String($Actual[$index].Thumbnail.EncodedJpeg) | Should -Be ([Convert]::ToBase64String($Expected[$index].Thumbnail.EncodedJpeg))
            }
        }
    }

    $samples = Get-ChildItem (Join-Path (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path 'samples/photos') -File | Sort-Object Name
    $script:photos = Join-Path $TestDrive 'photos'
    $null = New-Item -ItemType Directory -Path $photos
    $script:paths = for ($index = 0; $index -lt 24; $index++) {
        $target = Join-Path $photos ('photo {0:00}.png' -f $index)
        Copy-Item -LiteralPath $samples[$index * 10].FullName -Destination $target
        $target
    }
    # A sideways camera JPEG and a name a shell gets wrong.
    $upright = New-TestImage -Path (Join-Path $photos 'upright.jpg') -Width 90 -Height 60 -Pattern quadrants
    $script:paths += (New-RotatedTestImage -UprightPath $upright.FullName -Path (Join-Path $photos 'brackets[1] ünï.jpg')).FullName
    $script:local = $paths | ForEach-Object { Get-ImageEmbedding -LiteralPath $_ }

    $script:sessions = New-GridTsneSession -Count 2
}

AfterAll {
    $null = Remove-LoopbackSession @(Get-PSSession)
    Stop-LoopbackSshd $server
}

Describe 'Get-ImageEmbedding -Session' {
    Context 'Results' {
        It 'gives what a local run gives, as real ImageEmbedding objects in input order' {
            $remote = Get-ImageEmbedding -LiteralPath $paths -Session $sessions -BatchSize 4
            Assert-SameEmbedding $remote $local
        }

        It 'applies every other parameter on the sessions (-ThumbnailSize 0 -Normalize -Crop None)' {
            $expected = Get-ImageEmbedding -LiteralPath $paths[0..5] -ThumbnailSize 0 -Normalize -Crop None
            $remote = Get-ImageEmbedding -LiteralPath $paths[0..5] -Session $sessions -ThumbnailSize 0 -Normalize -Crop None
            Assert-SameEmbedding $remote $expected
            $expected[0].Vector | Should -Not -Be $local[0].Vector
        }

        It 'shares the photos between the sessions and says so with -Verbose' {
            $verbose = Get-ImageEmbedding -LiteralPath $paths -Session $sessions -BatchSize 2 -Verbose 4>&1 |
                Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
            $summary = $verbose | Where-Object { $_ -like 'Embedded*' }
            $summary | Should -Match "Embedded $($paths.Count) photos \(0 failed\)"
            foreach ($session in $sessions) { $summary | Should -Match "'$($session.Name)' \(127\.0\.0\.1\) \d+" }
        }

        It 'gives a silent session up after -OperationTimeoutSec, by default 60 s plus 5 s per photo of -BatchSize' {
            function Get-SilenceLimit([hashtable] $Parameters) {
                $verbose = Get-ImageEmbedding -LiteralPath $paths[0] -Session $sessions @Parameters -Verbose 4>&1 |
                    Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
                [regex]::Match(($verbose -join "`n"), 'a session silent for (\d+) s with photos to embed is given up').Groups[1].Value
            }
            Get-SilenceLimit @{} | Should -Be '140'
            Get-SilenceLimit @{ BatchSize = 2 } | Should -Be '70'
            Get-SilenceLimit @{ BatchSize = 2; OperationTimeoutSec = 9 } | Should -Be '9'
        }

        It 'writes one progress for all sessions, from done/total to Completed' {
            $run = Wait-RemoteEmbedding (Start-RemoteEmbedding $sessions $paths @{ BatchSize = 2 })
            $run.Output.Count | Should -Be $paths.Count
            $run.Progress.Activity | Select-Object -Unique | Should -Be 'Get-ImageEmbedding on 2 session(s)'
            $run.Progress.StatusDescription | Where-Object { $_ -match "^\d+ of $($paths.Count) photos, [\d.]+ images/s$" } | Should -Not -BeNullOrEmpty
            $run.Progress[-1].RecordType | Should -Be 'Completed'
        }
    }

    Context 'Bad photos' {
        It 'gives the same ErrorIds, categories, targets and messages as a local run, and goes on' {
            $bad = Join-Path $TestDrive 'bad'
            $null = New-Item -ItemType Directory -Path $bad
            $jpeg = New-TestImage -Path (Join-Path $bad 'whole.jpg') -Width 96 -Height 64 -Pattern gradient
            $bytes = [IO.File]::ReadAllBytes($jpeg.FullName)
            [IO.File]::WriteAllBytes((Join-Path $bad 'cut.jpg'), $bytes[0..($bytes.Length / 2)])
            $null = New-Item -ItemType File -Path (Join-Path $bad 'empty.png')
            Set-Content -LiteralPath (Join-Path $bad 'notes.jpg') 'not a photo'
            $null = New-Item -ItemType Directory -Path (Join-Path $bad 'folder.jpg')
            $inputs = $paths[0], (Join-Path $bad 'cut.jpg'), (Join-Path $bad 'missing.jpg'), (Join-Path $bad 'empty.png'),
                $paths[1], (Join-Path $bad 'notes.jpg'), (Join-Path $bad 'folder.jpg'), $jpeg.FullName

            $localErrors = $null
            $expected = Get-ImageEmbedding -LiteralPath $inputs -ErrorVariable localErrors -ErrorAction SilentlyContinue
            $remoteErrors = $null
            $actual = Get-ImageEmbedding -LiteralPath $inputs -Session $sessions -BatchSize 1 -ErrorVariable remoteErrors -ErrorAction SilentlyContinue

            Assert-SameEmbedding $actual $expected
            $localErrors.Count | Should -Be 5
            $remoteErrors.Count | Should -Be $localErrors.Count
            for ($index = 0; $index -lt $localErrors.Count; $index++) {
                $remoteErrors[$index].FullyQualifiedErrorId | Should -Be $localErrors[$index].FullyQualifiedErrorId
                $remoteErrors[$index].CategoryInfo.Category | Should -Be $localErrors[$index].CategoryInfo.Category
                $remoteErrors[$index].TargetObject | Should -Be $localErrors[$index].TargetObject
                $remoteErrors[$index].Exception.Message | Should -Be $localErrors[$index].Exception.Message
                $remoteErrors[$index].Exception.GetType() | Should -Be $localErrors[$index].Exception.GetType()
            }
        }
    }

    Context 'Sessions that cannot take part' {
        It 'refuses a session without GridTsne with an error naming the session and what is missing' {
            $bare = New-LoopbackSession $server -Name 'Bare'
            try {
                $failure = $null
                try { Get-ImageEmbedding -LiteralPath $paths[0] -Session $sessions[0], $bare } catch { $failure = $_ }
                $failure.FullyQualifiedErrorId | Should -Be 'SessionModuleMissing,GridTsne.Commands.GetImageEmbeddingCommand'
                $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
                $version = (Get-Module GridTsne).Version
                $failure.Exception.Message | Should -BeLike "Session 'Bare' (127.0.0.1) has no GridTsne $version*"
                $failure.Exception.Message | Should -BeLike '*Import-Module*'
                # The check left the session as it was, and usable.
                Invoke-Command -Session $bare { @(Get-Module GridTsne).Count } | Should -Be 0
            }
            finally { Remove-PSSession $bare }
        }

        It 'refuses a session that runs another version of GridTsne' {
            # A copy of the module whose manifest says 0.0.1, imported in the session first.
            $copy = Join-Path $TestDrive 'old/GridTsne'
            $null = New-Item -ItemType Directory -Path $copy
            $root = Split-Path -Parent $manifest
            foreach ($part in 'bin', 'models') { $null = New-Item -ItemType SymbolicLink -Path (Join-Path $copy $part) -Target (Join-Path $root $part) }
            (Get-Content -LiteralPath $manifest -Raw) -replace "ModuleVersion\s*=\s*'[^']+'", "ModuleVersion = '0.0.1'" |
                Set-Content -LiteralPath (Join-Path $copy 'GridTsne.psd1')
            $old = New-LoopbackSession $server -Name 'Old'
            try {
                Invoke-Command -Session $old { param($Path) Import-Module $Path } -ArgumentList (Join-Path $copy 'GridTsne.psd1')
                $failure = $null
                try { Get-ImageEmbedding -LiteralPath $paths[0] -Session $old } catch { $failure = $_ }
                $failure.FullyQualifiedErrorId | Should -Be 'SessionModuleVersionMismatch,GridTsne.Commands.GetImageEmbeddingCommand'
                $failure.Exception.Message | Should -BeLike "Session 'Old' (127.0.0.1) runs GridTsne 0.0.1 *this computer $((Get-Module GridTsne).Version)*"
            }
            finally { Remove-PSSession $old }
        }

        It 'refuses a closed session before any photo is read' {
            $closed = New-LoopbackSession $server -Name 'Closed'
            Remove-PSSession $closed
            $failure = $null
            try { Get-ImageEmbedding -LiteralPath $paths[0] -Session $closed } catch { $failure = $_ }
            $failure.FullyQualifiedErrorId | Should -Be 'SessionNotOpen,GridTsne.Commands.GetImageEmbeddingCommand'
            $failure.Exception.Message | Should -BeLike "Session 'Closed' (127.0.0.1) is Closed*"
        }
    }

    # A session is lost from this side (Remove-PSSession, from another runspace: the removal of a busy session can
    # block for good inside PowerShell's own RemoteRunspace.Close when the CPU is busy, and the test must not
    # wait for it) or frozen (SIGSTOP of its remote pwsh). A session is frozen before it is closed, so that the
    # run cannot finish before the close begins, however slowly the removal starts. The transport is never cut:
    # killing the remote pwsh or its sshd process crashes the local pwsh 7.6 itself (an unhandled IOException in
    # its SSH transport's error thread). The waits have generous limits that only turn a hang into a failure.
    Context 'Sessions lost mid-run' -Skip:$IsWindows {
        BeforeAll {
            # Each photo three times: a long enough run, and repeated paths must each be answered once.
            $script:many = @($paths) * 3
            $script:expectedMany = @($local) * 3

            function Close-FrozenSession([object[]] $Session, [int[]] $ProcessId, $Run) {
                # Freezes the sessions' remote pwsh (ids taken before the run), starts their removal, and returns
                # the run's result once it ended.
                try {
                    Wait-Output $Run 4
                    & kill -STOP $ProcessId
                    $null = Remove-LoopbackSession $Session -TimeoutSeconds 0
                    Wait-RemoteEmbedding $Run
                }
                finally { & kill -CONT $ProcessId }
            }
        }

        It 'gives every photo exactly once, in order, when a session is closed mid-run' {
            $pair = New-GridTsneSession -Count 2 -Name 'Closed'
            $remotePid = Invoke-Command -Session $pair[1] { $PID }
            $run = Start-RemoteEmbedding $pair $many @{ BatchSize = 2 }
            $result = Close-FrozenSession $pair[1] $remotePid $run
            $result.State | Should -Be 'Completed'
            $result.Errors | Should -BeNullOrEmpty
            Assert-SameEmbedding $result.Output $expectedMany
            $result.Warnings | Where-Object { $_ -like "Session 'Closed2' (127.0.0.1) was lost: the session is Clos*go back to the queue for the 1 remaining session(s)." } |
                Should -Not -BeNullOrEmpty
            Invoke-Command -Session $pair[0] { 'still usable' } | Should -Be 'still usable'
            $null = Remove-LoopbackSession $pair[0]
        }

        It 'fails the photos not yet embedded with NoSessionLeft when every session is lost, each photo exactly once' {
            $pair = New-GridTsneSession -Count 2 -Name 'AllLost'
            $remotePids = foreach ($session in $pair) { Invoke-Command -Session $session { $PID } }
            $run = Start-RemoteEmbedding $pair $many @{ BatchSize = 2 }
            $result = Close-FrozenSession $pair $remotePids $run
            $result.State | Should -Be 'Completed'
            $result.Errors.Count | Should -BeGreaterThan 0
            $result.Output.Count + $result.Errors.Count | Should -Be $many.Count
            # Embeddings and errors together answer every photo once, in input order.
            $result.Answered | Should -Be $many
            $localByPath = @{}
            $local | ForEach-Object { $localByPath[$_.Path] = $_ }
            Assert-SameEmbedding $result.Output @($result.Output | ForEach-Object { $localByPath[$_.Path] })
            foreach ($record in $result.Errors) {
                $record.FullyQualifiedErrorId | Should -Be 'NoSessionLeft,GridTsne.Commands.GetImageEmbeddingCommand'
                $record.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
                $record.Exception.Message | Should -BeLike "'$([WildcardPattern]::Escape($record.TargetObject))' was not embedded: no session is left*'AllLost1'*'AllLost2'*"
            }
            $result.Warnings | Where-Object { $_ -like '*No session is left*' } | Should -Not -BeNullOrEmpty
        }

        It 'gives up a session that answers nothing for -OperationTimeoutSec, and every photo comes once from the others' {
            # A frozen computer: its remote pwsh stopped (SIGSTOP), its connection still open, no state change.
            $pair = New-GridTsneSession -Count 2 -Name 'Frozen'
            $frozenPid = Invoke-Command -Session $pair[1] { $PID }
            # Generous, so that the healthy session (model loading on a busy CPU) is never taken for a silent one.
            $run = Start-RemoteEmbedding $pair $many @{ BatchSize = 2; OperationTimeoutSec = 30 }
            try {
                Wait-Output $run 6
                & kill -STOP $frozenPid
                $result = Wait-RemoteEmbedding $run
            }
            finally { & kill -CONT $frozenPid }
            $result.State | Should -Be 'Completed'
            $result.Errors | Should -BeNullOrEmpty
            Assert-SameEmbedding $result.Output $expectedMany
            $result.Warnings | Where-Object { $_ -like "Session 'Frozen2' (127.0.0.1) was lost: it answered none of its * photos for 30 s*go back to the queue for the 1 remaining session(s)." } |
                Should -Not -BeNullOrEmpty
            # Woken up, the frozen session takes the stop it was sent and is usable again.
            $deadline = [DateTime]::UtcNow.AddMinutes(2)
            while ($pair[1].Availability -ne 'Available' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            Invoke-Command -Session $pair[1] { 'usable again' } | Should -Be 'usable again'
            $null = Remove-LoopbackSession $pair
        }
    }

    Context 'Shared cache' {
        It 'lets every session write to -CachePath, and the second run reads every photo from it' {
            $cache = Join-Path $TestDrive 'cache'
            $first = Get-ImageEmbedding -LiteralPath $paths -Session $sessions -BatchSize 2 -CachePath $cache
            Assert-SameEmbedding $first $local
            $entries = Get-ChildItem -LiteralPath $cache -Recurse -File -Filter '*.gtemb'
            $entries.Count | Should -Be $paths.Count
            $written = @{}
            $entries | ForEach-Object { $written[$_.FullName] = $_.LastWriteTimeUtc.Ticks }

            $second = Get-ImageEmbedding -LiteralPath $paths -Session $sessions -BatchSize 2 -CachePath $cache
            Assert-SameEmbedding $second $local
            # A miss would have rewritten its entry (a new file renamed over the old one).
            $after = Get-ChildItem -LiteralPath $cache -Recurse -File
            $after.Count | Should -Be $paths.Count
            $after | ForEach-Object { $_.LastWriteTimeUtc.Ticks | Should -Be $written[$_.FullName] }
        }
    }

    Context 'Ctrl+C' {
        It 'stops the remote work and leaves the sessions usable' {
            $stop = Stop-RunningPipeline { param($Sessions, $Paths) Get-ImageEmbedding -LiteralPath $Paths -Session $Sessions -BatchSize 2 } `
                -ArgumentList $sessions, (@($paths) * 4) -Until { param($Shell, $Output) $Output.Count -ge 4 }
            $stop.WasRunning | Should -BeTrue
            $stop.State | Should -Be 'Stopped'
            $stop.OutputCount | Should -BeLessThan ($paths.Count * 4)
            # The stop ends the command (how fast belongs to bench/stop; the limit only catches a hang).
            $stop.Stopped | Should -BeTrue
            # The remote pipelines end a moment after the local one (the server confirms the stop); one still
            # running would leave its session busy. The limit only guards against a remote run that goes on.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (@($sessions | Where-Object Availability -NE 'Available').Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $sessions.Availability | Should -Be @('Available', 'Available')
            Invoke-Command -Session $sessions { 'ready' } | Should -Be @('ready', 'ready')
            Assert-SameEmbedding (Get-ImageEmbedding -LiteralPath $paths[0..3] -Session $sessions) $local[0..3]
        }
    }
}
