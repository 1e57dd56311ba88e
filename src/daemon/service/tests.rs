use super::PollSet;

#[test]
fn each_service_reads_its_own_slots_whatever_was_added_before() {
    let mut fds = PollSet::with_capacity(4);
    let signals = fds.add(3);
    let checks = fds.add_with(|v| {
        for fd in [7, 8] {
            v.push(libc::pollfd {
                fd,
                events: libc::POLLOUT,
                revents: 0,
            });
        }
    });
    let monitor = fds.add(5);
    assert_eq!(
        fds.get(signals).iter().map(|p| p.fd).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        fds.get(checks).iter().map(|p| p.fd).collect::<Vec<_>>(),
        [7, 8]
    );
    assert_eq!(
        fds.get(monitor).iter().map(|p| p.fd).collect::<Vec<_>>(),
        [5]
    );
    // The poll says the monitor is readable: only its slot is.
    if let Some(p) = fds.fds.get_mut(3) {
        p.revents = libc::POLLIN;
    }
    assert!(fds.readable(monitor));
    assert!(!fds.readable(signals));
    assert!(!fds.readable(checks));
    // A new turn starts empty: slots of the last one address nothing.
    fds.clear();
    assert!(fds.get(checks).is_empty());
    assert!(!fds.readable(monitor));
}

#[test]
fn a_service_without_descriptors_has_empty_slots() {
    let mut fds = PollSet::default();
    let none = fds.add_with(|_| {});
    assert!(fds.get(none).is_empty());
    assert!(!fds.readable(none));
}
