/** The known ESP USB bridges and port ranking live in the core (shared with the CLI's production line). */
export * from '../core/transport/usb_bridges';
