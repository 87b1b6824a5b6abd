set -u
T="tmux -L xo-client"
D=/tmp/xo-screens
rm -rf $D/state; mkdir -p $D/state
$T kill-server 2>/dev/null
$T new-session -d -s s -x 80 -y 30 -n srv "bash --norc"
$T send-keys -t s:srv "cd /work/wt/client && export XO_STATE_DIR=$D/state PATH=/usr/bin:/bin && .venv/bin/xo local --port 47181" Enter
$T new-window -t s: -n x "bash --norc"
$T send-keys -t s:x "cd /work/wt/client && export XO_STATE_DIR=$D/state PATH=/usr/bin:/bin && clear" Enter
$T new-window -t s: -n o "bash --norc"
$T send-keys -t s:o "cd /work/wt/client && export XO_STATE_DIR=$D/state PATH=/usr/bin:/bin && clear" Enter
for i in $(seq 60); do $T capture-pane -p -t s:srv | grep -q "Players start" && break; sleep 0.5; done
$T send-keys -t s:x ".venv/bin/xo new --url ws://127.0.0.1:47181/local" Enter
for i in $(seq 60); do $T capture-pane -p -t s:x | grep -q "xo join" && break; sleep 0.5; done
GID=$($T capture-pane -p -t s:x | sed -n 's/^Game id: //p')
JOIN="clear; .venv/bin/xo join ws://127.0.0.1:47181/local#$GID"
$T send-keys -t s:o "$JOIN" Enter
sleep 4
$T send-keys -t s:x "1,1" Enter
sleep 3
$T send-keys -t s:o "a1" Enter
sleep 3
$T capture-pane -p -t s:x > $D/1-x-before-kill.txt
kill -9 $(ps -o pid= --ppid $($T display -p -t s:x "#{pane_pid}")) ; true
sleep 1
$T send-keys -t s:x "" Enter
$T send-keys -t s:x "clear; .venv/bin/xo games" Enter
sleep 5
$T capture-pane -p -t s:x > $D/1b-games.txt
$T send-keys -t s:x "clear; .venv/bin/xo resume" Enter
sleep 5
$T capture-pane -p -t s:x > $D/2-x-resumed.txt
$T send-keys -t s:x "3" Enter
sleep 3
$T capture-pane -p -t s:o > $D/3-o-before-kill.txt
kill -9 $(ps -o pid= --ppid $($T display -p -t s:o "#{pane_pid}")) ; true
sleep 1
$T send-keys -t s:o "" Enter
$T send-keys -t s:o "clear; .venv/bin/xo resume" Enter
sleep 5
$T capture-pane -p -t s:o > $D/4-o-resumed.txt
$T send-keys -t s:o "c3" Enter
sleep 3
$T send-keys -t s:x "2,0" Enter
sleep 4
$T capture-pane -p -t s:x > $D/5-x-end.txt
$T capture-pane -p -t s:o > $D/6-o-end.txt
$T send-keys -t s:x "echo exit=\$?; ls $D/state" Enter
$T send-keys -t s:o "echo exit=\$?" Enter
sleep 1
$T capture-pane -p -t s:x > $D/5-x-end.txt
$T capture-pane -p -t s:o > $D/6-o-end.txt
$T send-keys -t s:srv C-c
sleep 1
$T kill-server
